using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Mistral.Console.Jobs.Engine;

namespace Mistral.Console.Jobs.Logs;

/// <summary>
/// The log pipeline of one running deployment: mask → number → publish to live viewers → store in
/// batches (every 100 ms or 1,000 lines). Lines are numbered in arrival order; the runner is the
/// only writer of a deployment's log, so numbers continue from the stored maximum.
/// </summary>
public sealed class DeploymentLog : IAsyncDisposable
{
    public const int MaxBatch = 1000;
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    private readonly long _deploymentId;
    private readonly LogStore _store;
    private readonly IDeploymentEventSink _sink;
    private readonly SecretMasker _masker;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    // Bounded: a flood of output slows the reader of the ssh process rather than eating memory.
    private readonly Channel<LogLine> _channel = Channel.CreateBounded<LogLine>(new BoundedChannelOptions(50_000)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });
    private readonly Task _pump;
    private long _seq;

    public DeploymentLog(long deploymentId, long lastSeq, LogStore store, IDeploymentEventSink sink, SecretMasker masker, TimeProvider clock, ILogger logger)
    {
        _deploymentId = deploymentId;
        _seq = lastSeq;
        _store = store;
        _sink = sink;
        _masker = masker;
        _clock = clock;
        _logger = logger;
        _pump = Task.Run(PumpAsync);
    }

    public void Write(TaskRun? run, LogStream stream, string text, DateTimeOffset? at = null)
    {
        var line = new LogLine(Interlocked.Increment(ref _seq), at ?? _clock.GetUtcNow(), run?.Id, run?.NodeId, run?.TaskId, stream, _masker.Apply(text), run?.NodeName);
        // Sequence numbers are taken before the (possibly waiting) write, so concurrent writers may
        // enqueue slightly out of order; the pump sorts each batch.
        if (!_channel.Writer.TryWrite(line))
            _channel.Writer.WriteAsync(line).AsTask().GetAwaiter().GetResult();
    }

    public void System(TaskRun? run, string text) => Write(run, LogStream.Sys, text);

    private async Task PumpAsync()
    {
        var batch = new List<LogLine>(MaxBatch);
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync())
        {
            var deadline = _clock.GetUtcNow() + FlushInterval;
            while (batch.Count < MaxBatch)
            {
                if (reader.TryRead(out var line)) { batch.Add(line); continue; }
                var left = deadline - _clock.GetUtcNow();
                if (left <= TimeSpan.Zero) break;
                using var wait = new CancellationTokenSource(left);
                try { if (!await reader.WaitToReadAsync(wait.Token)) break; }
                catch (OperationCanceledException) { break; }
            }
            batch.Sort((a, b) => a.Seq.CompareTo(b.Seq));
            var lines = batch.ToArray();
            batch.Clear();
            _sink.LogLines(_deploymentId, lines);
            try
            {
                await _store.AppendAsync(_deploymentId, lines, CancellationToken.None);
            }
            catch (Exception e)
            {
                // Losing log lines must not fail a deployment; the failure itself is logged.
                _logger.LogError(e, "Could not store {Count} log lines of deployment {DeploymentId}", lines.Length, _deploymentId);
            }
        }
    }

    /// <summary>Flushes everything written so far.</summary>
    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _pump;
    }
}
