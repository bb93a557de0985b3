using System.Diagnostics;

namespace Mistral.Console.Jobs.Ssh;

internal sealed record ProcessOutput(int ExitCode, string Stdout, string Stderr, bool TimedOut);

/// <summary>Runs a short helper process (ssh -O, ssh-keyscan, ssh-keygen) to completion.</summary>
internal static class ProcessRunner
{
    public static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        // An inherited agent or askpass helper must never be consulted: every key is given explicitly.
        info.Environment.Remove("SSH_AUTH_SOCK");
        info.Environment.Remove("SSH_ASKPASS");
        info.Environment.Remove("DISPLAY");
        return info;
    }

    /// <summary>Throws <see cref="OperationCanceledException"/> on cancellation; a timeout kills the
    /// process and is reported in the result.</summary>
    public static async Task<ProcessOutput> RunAsync(
        string fileName, IEnumerable<string> arguments, byte[]? stdin, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var process = Start(StartInfo(fileName, arguments));
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            if (stdin is not null)
                await process.StandardInput.BaseStream.WriteAsync(stdin, CancellationToken.None);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The process exited without reading its input; its exit status tells why.
        }

        using var timeoutSource = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(linked.Token);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            timedOut = true;
        }

        // A daemonised grandchild (ssh -f) could keep a pipe open: never wait on it for long.
        var output = await ReadOrEmpty(stdout);
        var error = await ReadOrEmpty(stderr);
        return new ProcessOutput(process.ExitCode, output, error, timedOut);
    }

    public static Process Start(ProcessStartInfo info)
    {
        try
        {
            return Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.FileName}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"could not start {info.FileName}: {e.Message} (is openssh-client installed?)", e);
        }
    }

    public static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static async Task<string> ReadOrEmpty(Task<string> read)
    {
        try
        {
            return await read.WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (TimeoutException)
        {
            return "";
        }
    }
}
