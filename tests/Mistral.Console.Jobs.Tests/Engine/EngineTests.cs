using System.Diagnostics;
using Mistral.Console.Core.Deployments;
using Mistral.Console.Core.Environments;
using Mistral.Console.Core.Validation;
using Mistral.Console.Jobs.Engine;
using Mistral.Console.Jobs.Logs;
using Mistral.Console.Tests.Shared;
using Xunit;

namespace Mistral.Console.Jobs.Tests.Engine;

/// <summary>The deployment engine end to end: Quartz, SQLite, OpenSSH and real sshd nodes.
/// Task scripts leave marker files on this machine (the nodes are loopback sshd's run as root).</summary>
[Collection(SshdCollection.Name)]
public sealed class EngineTests(SshdFixture sshd) : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("engine-").FullName;
    private readonly List<EngineHost> _hosts = [];
    private string Marks => Path.Combine(_dir, "marks");

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(Marks);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var h in _hosts) await h.DisposeAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private async Task<EngineHost> HostAsync(string catalogYaml, TimeSpan? stopGrace = null)
    {
        var path = Path.Combine(_dir, "catalog.yaml");
        await File.WriteAllTextAsync(path, catalogYaml);
        var host = await EngineHost.StartAsync(Path.Combine(_dir, "data"), path, stopGrace);
        _hosts.Add(host);
        return host;
    }

    private async Task RestartAsync(EngineHost old)
    {
        await old.DisposeAsync();
        _hosts.Remove(old);
    }

    /// <summary>A task script that appends "start end" nanosecond stamps to marks/&lt;task&gt;.&lt;node&gt;.</summary>
    private string Mark(string task, string body = "") =>
        $"s=$(date +%s%N)\n{body}\necho \"$s $(date +%s%N)\" >> {Marks}/{task}.\"$NODE_NAME\"\n";

    private int Runs(string task, string node) =>
        File.Exists(Path.Combine(Marks, $"{task}.{node}")) ? File.ReadAllLines(Path.Combine(Marks, $"{task}.{node}")).Length : 0;

    private (long Start, long End) Stamp(string task, string node)
    {
        var parts = File.ReadAllLines(Path.Combine(Marks, $"{task}.{node}")).Last().Split(' ');
        return (long.Parse(parts[0]), long.Parse(parts[1]));
    }

    private static string Indent(string script) => string.Join("\n", script.Split('\n').Select(l => "      " + l));

    [Fact]
    public async Task Deploy_RunsTasksInDependencyOrder_AndInParallelAcrossNodes()
    {
        var yaml = $"""
            tasks:
              - id: prepare
                roles: [controller, mistral]
                script: |
            {Indent(Mark("prepare", "sleep 1"))}
              - id: configure
                roles: [controller, mistral]
                requires: [prepare]
                script: |
            {Indent(Mark("configure"))}
              - id: register
                roles: [primary-controller]
                requires: [configure]
                cross_depends:
                  - task: configure
                    role: mistral
                    policy: all
                script: |
            {Indent(Mark("register"))}
            """;
        var host = await HostAsync(yaml);
        var (n1, n2, n3) = (await sshd.StartNodeAsync("ord-c1"), await sshd.StartNodeAsync("ord-m1"), await sshd.StartNodeAsync("ord-m2"));
        var (env, _) = await host.CreateEnvironmentAsync(sshd, [(n1, Roles.Controller), (n2, Roles.Mistral), (n3, Roles.Mistral)]);

        var id = (await host.Deployments.StartAsync(env, "tester", null, null, default))!.Value;
        var done = await host.WaitFinishedAsync(id);

        Assert.Equal(DeploymentStatus.Succeeded, done.Status);
        var latest = await host.LatestAsync(id);
        Assert.Equal(7, latest.Count); // prepare×3, configure×3, register×1
        Assert.All(latest.Values, r => Assert.Equal(TaskRunStatus.Succeeded, r.Status));
        // "prepare" sleeps 1 s on three nodes at once: they overlap in time.
        var prepares = new[] { "ord-c1", "ord-m1", "ord-m2" }.Select(n => Stamp("prepare", n)).ToList();
        Assert.True(prepares.Max(p => p.Start) < prepares.Min(p => p.End), "prepare should run on all nodes in parallel");
        foreach (var n in new[] { "ord-c1", "ord-m1", "ord-m2" })
            Assert.True(Stamp("configure", n).Start >= Stamp("prepare", n).End, $"configure on {n} started before prepare ended");
        var register = Stamp("register", "ord-c1");
        Assert.True(new[] { "ord-c1", "ord-m1", "ord-m2" }.All(n => register.Start >= Stamp("configure", n).End), "register must wait for configure on every mistral node");
        // Live viewers saw every transition and the log.
        Assert.Contains(host.Sink.Deployments, d => d.Id == id && d.Status == DeploymentStatus.Succeeded);
        Assert.Contains(host.Sink.Runs, r => r.TaskId == "register" && r.Status == TaskRunStatus.Succeeded);
        var lines = await host.Logs.ReadAsync(id, 0, 1000, null, null, default);
        Assert.Contains(lines, l => l.Stream == LogStream.Sys && l.Text.Contains("pinned"));
    }

    [Fact]
    public async Task Deploy_RecordsFailedAndSkipsDependents_WhenScriptExitsNonZero()
    {
        var yaml = $"""
            tasks:
              - id: breaks
                roles: [controller]
                script: |
                  echo "about to fail" >&2
                  exit 3
              - id: after
                roles: [controller]
                requires: [breaks]
                script: |
            {Indent(Mark("after"))}
              - id: independent
                roles: [mistral]
                script: |
            {Indent(Mark("independent"))}
            """;
        var host = await HostAsync(yaml);
        var (c, m) = (await sshd.StartNodeAsync("fail-c1"), await sshd.StartNodeAsync("fail-m1"));
        var (env, _) = await host.CreateEnvironmentAsync(sshd, [(c, Roles.Controller), (m, Roles.Mistral)]);

        var id = (await host.Deployments.StartAsync(env, "tester", null, null, default))!.Value;
        var done = await host.WaitFinishedAsync(id);

        Assert.Equal(DeploymentStatus.Failed, done.Status);
        var latest = await host.LatestAsync(id);
        Assert.Equal(TaskRunStatus.Failed, latest[("breaks", "fail-c1")].Status);
        Assert.Equal(3, latest[("breaks", "fail-c1")].ExitCode);
        Assert.Equal(TaskRunStatus.Skipped, latest[("after", "fail-c1")].Status);
        Assert.Contains("breaks", latest[("after", "fail-c1")].Message);
        Assert.Equal(TaskRunStatus.Succeeded, latest[("independent", "fail-m1")].Status);
        Assert.Equal(0, Runs("after", "fail-c1"));
        var lines = await host.Logs.ReadAsync(id, 0, 1000, null, "breaks", default);
        Assert.Contains(lines, l => l.Stream == LogStream.Err && l.Text == "about to fail");
    }

    [Fact]
    public async Task Deploy_ReportsError_OnTimeoutUnreachableNodeAndChangedHostKey()
    {
        var yaml = """
            tasks:
              - id: slow
                roles: [controller]
                timeout: 2
                script: |
                  sleep 30
              - id: touch
                roles: [mistral]
                script: |
                  true
            """;
        var host = await HostAsync(yaml);
        var c = await sshd.StartNodeAsync("err-c1");
        var gone = await sshd.StartNodeAsync("err-m1");
        var changed = await sshd.StartNodeAsync("err-m2");
        var (env, nodes) = await host.CreateEnvironmentAsync(sshd, [(c, Roles.Controller), (gone, Roles.Mistral), (changed, Roles.Mistral)]);
        var store = host.Services.GetService(typeof(IEnvironmentStore)) as IEnvironmentStore;
        // Pin err-m2's current key, then give it a new one: ssh must refuse.
        await store!.SetHostKeyAsync(nodes.Single(n => n.Name == "err-m2").Id, changed.HostKeyLine, "pinned-by-test", default);
        await sshd.RegenerateHostKeyAsync(changed);
        await sshd.StopNodeAsync(gone);

        var id = (await host.Deployments.StartAsync(env, "tester", null, null, default))!.Value;
        await host.WaitFinishedAsync(id);

        var latest = await host.LatestAsync(id);
        Assert.Equal(TaskRunStatus.Error, latest[("slow", "err-c1")].Status);
        Assert.Contains("time", latest[("slow", "err-c1")].Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(TaskRunStatus.Error, latest[("touch", "err-m1")].Status);
        Assert.Contains("unreachable", latest[("touch", "err-m1")].Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(TaskRunStatus.Error, latest[("touch", "err-m2")].Status);
        Assert.Contains("host key", latest[("touch", "err-m2")].Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task HostKey_PinnedByAdmin_ChangedKeyRefused_UntilForgotten()
    {
        var yaml = """
            tasks:
              - id: touch
                roles: [controller, mistral]
                script: |
                  true
            """;
        var host = await HostAsync(yaml);
        var (c, m) = (await sshd.StartNodeAsync("hk-c1"), await sshd.StartNodeAsync("hk-m1"));
        var (env, nodes) = await host.CreateEnvironmentAsync(sshd, [(c, Roles.Controller), (m, Roles.Mistral)]);
        var trust = (Mistral.Console.Jobs.Ssh.HostKeyTrust)host.Services.GetService(typeof(Mistral.Console.Jobs.Ssh.HostKeyTrust))!;
        var c1 = nodes.Single(n => n.Name == "hk-c1").Id;

        var pinned = await trust.PinAsync(env, c1, default);
        var expected = (await SshdFixture.RunAsync("ssh-keygen", "-lf", sshd.HostKeyPublicPath(c))).Output.Split(' ')[1];
        Assert.Equal(expected, pinned.Key!.Fingerprint);

        await sshd.RegenerateHostKeyAsync(c); // the node was reinstalled, or someone is in the middle
        var id = (await host.Deployments.StartAsync(env, "tester", null, null, default))!.Value;
        await host.WaitFinishedAsync(id);
        var refused = (await host.LatestAsync(id))[("touch", "hk-c1")];
        Assert.Equal(TaskRunStatus.Error, refused.Status);
        Assert.Contains("host key", refused.Message, StringComparison.OrdinalIgnoreCase);

        Assert.True(await trust.ForgetAsync(env, c1, default)); // the admin checked and accepts the new key
        Assert.True(await host.Deployments.RerunAsync(id, new RerunScope(RerunKind.Failed), default));
        Assert.Equal(DeploymentStatus.Succeeded, (await host.WaitFinishedAsync(id)).Status);
    }

    [Fact]
    public async Task Logs_MaskEverySecret_AndNoSecretReachesAnyArgv()
    {
        var yaml = """
            tasks:
              - id: leaky
                roles: [controller]
                script: |
                  echo "db=$DB_PASSWORD keystone=$KEYSTONE_PASSWORD"
                  echo "rabbit $RABBIT_PASSWORD" >&2
                  echo "OS_PASSWORD=notknowntothedashboard"
                  sleep 2
            """;
        var host = await HostAsync(yaml);
        var (c, m) = (await sshd.StartNodeAsync("sec-c1"), await sshd.StartNodeAsync("sec-m1"));
        var (env, _) = await host.CreateEnvironmentAsync(sshd, [(c, Roles.Controller), (m, Roles.Mistral)]);
        var settings = await ((IEnvironmentStore)host.Services.GetService(typeof(IEnvironmentStore))!).GetSettingsAsync(env, default);
        var secrets = new[] { settings.DbPassword!, settings.KeystonePassword!, settings.RabbitPassword! };

        var id = (await host.Deployments.StartAsync(env, "tester", null, null, default))!.Value;
        var seen = new List<string>();
        while ((await host.Store.GetAsync(id, default))!.Status is DeploymentStatus.Pending or DeploymentStatus.Running)
        {
            foreach (var pid in Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(p => p!.All(char.IsDigit)))
            {
                try { seen.Add(File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ')); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
            await Task.Delay(50);
        }

        Assert.Contains(seen, s => s.Contains("ssh") && s.Contains(c.Address)); // we did watch the ssh processes
        foreach (var secret in secrets.Append(sshd.PrivateKeyText.Split('\n')[1]))
            Assert.DoesNotContain(seen, s => s.Contains(secret));
        var lines = await host.Logs.ReadAsync(id, 0, 1000, null, null, default);
        Assert.Contains(lines, l => l.Text == "db=****** keystone=******");
        Assert.Contains(lines, l => l.Text == "rabbit ******" && l.Stream == LogStream.Err);
        Assert.Contains(lines, l => l.Text == "OS_PASSWORD=******");
        Assert.DoesNotContain(lines, l => secrets.Any(s => l.Text.Contains(s)));
        Assert.DoesNotContain(host.Sink.Lines, l => secrets.Any(s => l.Text.Contains(s)));
    }

    [Fact]
    public async Task Restart_MidDeployment_ResumesAndDoesNotRepeatFinishedTasks()
    {
        var yaml = $"""
            tasks:
              - id: first
                roles: [controller]
                script: |
            {Indent(Mark("first"))}
              - id: long
                roles: [controller]
                requires: [first]
                script: |
            {Indent(Mark("long", $"touch {Marks}/long-started; sleep 4"))}
              - id: last
                roles: [controller]
                requires: [long]
                script: |
            {Indent(Mark("last"))}
              - id: other
                roles: [mistral]
                script: |
                  true
            """;
        var host = await HostAsync(yaml);
        var (c, m) = (await sshd.StartNodeAsync("crash-c1"), await sshd.StartNodeAsync("crash-m1"));
        var (env, _) = await host.CreateEnvironmentAsync(sshd, [(c, Roles.Controller), (m, Roles.Mistral)]);
        var id = (await host.Deployments.StartAsync(env, "tester", null, null, default))!.Value;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(Path.Combine(Marks, "long-started")) && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(File.Exists(Path.Combine(Marks, "long-started")), "the long task never started");

        await RestartAsync(host); // the dashboard goes away mid-task
        var stored = await (await HostAsync(yaml)).Store.GetAsync(id, default);
        Assert.True(stored!.Status.IsActive(), $"after the stop the deployment must still be active, was {stored.Status}");
        var again = _hosts.Last();
        var done = await again.WaitFinishedAsync(id);

        Assert.Equal(DeploymentStatus.Succeeded, done.Status);
        Assert.Equal(1, Runs("first", "crash-c1"));   // finished before the restart: not repeated
        Assert.Equal(1, Runs("last", "crash-c1"));
        var longRuns = (await again.Store.ListRunsAsync(id, default)).Where(r => r.TaskId == "long").OrderBy(r => r.Attempt).ToList();
        Assert.Equal(2, longRuns.Count);              // interrupted attempt kept, plus the re-run
        Assert.Equal(TaskRunStatus.Error, longRuns[0].Status);
        Assert.Contains("Interrupted", longRuns[0].Message);
        Assert.Equal(TaskRunStatus.Succeeded, longRuns[1].Status);
    }

    [Fact]
    public async Task Restart_MidDeployment_LeavesANonIdempotentTaskForAnAdmin()
    {
        var yaml = $"""
            tasks:
              - id: once
                roles: [controller]
                idempotent: false
                script: |
            {Indent(Mark("once", $"touch {Marks}/once-started; sleep 4"))}
              - id: m
                roles: [mistral]
                script: |
                  true
            """;
        var host = await HostAsync(yaml);
        var (c, m) = (await sshd.StartNodeAsync("once-c1"), await sshd.StartNodeAsync("once-m1"));
        var (env, _) = await host.CreateEnvironmentAsync(sshd, [(c, Roles.Controller), (m, Roles.Mistral)]);
        var id = (await host.Deployments.StartAsync(env, "tester", null, null, default))!.Value;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(Path.Combine(Marks, "once-started")) && DateTime.UtcNow < deadline) await Task.Delay(50);

        await RestartAsync(host);
        var again = await HostAsync(yaml);
        var done = await again.WaitFinishedAsync(id);

        Assert.Equal(DeploymentStatus.Failed, done.Status);
        var once = (await again.Store.ListRunsAsync(id, default)).Where(r => r.TaskId == "once").ToList();
        var only = Assert.Single(once); // not run again on its own
        Assert.Equal(TaskRunStatus.Error, only.Status);
        Assert.Contains("not idempotent", only.Message);
    }

    [Fact]
    public async Task Stop_LetsRunningTaskFinish_ThenDeployResumesWhereItStopped()
    {
        var yaml = $"""
            tasks:
              - id: a
                roles: [controller]
                script: |
            {Indent(Mark("a", $"touch {Marks}/a-started; sleep 2"))}
              - id: b
                roles: [controller]
                requires: [a]
                script: |
            {Indent(Mark("b"))}
              - id: m
                roles: [mistral]
                requires: []
                cross_depends:
                  - task: b
                    role: controller
                script: |
                  true
            """;
        var host = await HostAsync(yaml);
        var (c, m) = (await sshd.StartNodeAsync("stop-c1"), await sshd.StartNodeAsync("stop-m1"));
        var (env, _) = await host.CreateEnvironmentAsync(sshd, [(c, Roles.Controller), (m, Roles.Mistral)]);
        var id = (await host.Deployments.StartAsync(env, "tester", null, null, default))!.Value;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(Path.Combine(Marks, "a-started")) && DateTime.UtcNow < deadline) await Task.Delay(50);

        Assert.True(await host.Deployments.StopAsync(id, default));
        var stopped = await host.WaitFinishedAsync(id);

        Assert.Equal(DeploymentStatus.Stopped, stopped.Status);
        var latest = await host.LatestAsync(id);
        Assert.Equal(TaskRunStatus.Succeeded, latest[("a", "stop-c1")].Status); // finished within the grace period
        Assert.Equal(TaskRunStatus.Pending, latest[("b", "stop-c1")].Status);   // never started
        Assert.Equal(0, Runs("b", "stop-c1"));

        var resumed = await host.Deployments.StartAsync(env, "tester", null, null, default);
        Assert.Equal(id, resumed); // Deploy resumes the stopped deployment
        var done = await host.WaitAsync(id, d => d.Status == DeploymentStatus.Succeeded);
        Assert.Equal(1, Runs("a", "stop-c1"));
        Assert.Equal(1, Runs("b", "stop-c1"));
        Assert.Equal(DeploymentStatus.Succeeded, done.Status);
    }

    [Fact]
    public async Task Stop_KillsRunningTask_AfterGracePeriod()
    {
        var yaml = $"""
            tasks:
              - id: forever
                roles: [controller]
                script: |
                  touch {Marks}/forever-started
                  sleep 60
              - id: m
                roles: [mistral]
                script: |
                  true
            """;
        var host = await HostAsync(yaml, stopGrace: TimeSpan.FromSeconds(1));
        var (c, m) = (await sshd.StartNodeAsync("kill-c1"), await sshd.StartNodeAsync("kill-m1"));
        var (env, _) = await host.CreateEnvironmentAsync(sshd, [(c, Roles.Controller), (m, Roles.Mistral)]);
        var id = (await host.Deployments.StartAsync(env, "tester", null, null, default))!.Value;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(Path.Combine(Marks, "forever-started")) && DateTime.UtcNow < deadline) await Task.Delay(50);

        var sw = Stopwatch.StartNew();
        await host.Deployments.StopAsync(id, default);
        var stopped = await host.WaitFinishedAsync(id, TimeSpan.FromSeconds(30));

        Assert.Equal(DeploymentStatus.Stopped, stopped.Status);
        Assert.Equal(TaskRunStatus.Canceled, (await host.LatestAsync(id))[("forever", "kill-c1")].Status);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Rerun_EachScope_AddsNewAttemptsAndKeepsHistory()
    {
        var fix = Path.Combine(_dir, "fixed");
        var yaml = $"""
            tasks:
              - id: flaky
                roles: [controller]
                script: |
                  if ! test -f {fix}; then echo "not fixed yet" >&2; exit 1; fi
            {Indent(Mark("flaky"))}
              - id: child
                roles: [controller]
                requires: [flaky]
                script: |
            {Indent(Mark("child"))}
              - id: engine
                roles: [mistral]
                script: |
            {Indent(Mark("engine"))}
            """;
        var host = await HostAsync(yaml);
        var (c, m1, m2) = (await sshd.StartNodeAsync("rr-c1"), await sshd.StartNodeAsync("rr-m1"), await sshd.StartNodeAsync("rr-m2"));
        var (env, nodes) = await host.CreateEnvironmentAsync(sshd, [(c, Roles.Controller), (m1, Roles.Mistral), (m2, Roles.Mistral)]);
        var id = (await host.Deployments.StartAsync(env, "tester", null, null, default))!.Value;
        Assert.Equal(DeploymentStatus.Failed, (await host.WaitFinishedAsync(id)).Status);

        // "failed" with nothing fixed: the failed task and the skipped one run again and fail again.
        Assert.True(await host.Deployments.RerunAsync(id, new RerunScope(RerunKind.Failed), default));
        Assert.Equal(DeploymentStatus.Failed, (await host.WaitFinishedAsync(id)).Status);
        var flakyAttempts = (await host.Store.ListRunsAsync(id, default)).Where(r => r.TaskId == "flaky").ToList();
        Assert.Equal([TaskRunStatus.Failed, TaskRunStatus.Failed], flakyAttempts.Select(r => r.Status));
        Assert.Equal(1, Runs("engine", "rr-m1")); // succeeded tasks are not part of a "failed" re-run

        // "task" on one node: only that vertex, even though it had succeeded.
        var m2Id = nodes.Single(n => n.Name == "rr-m2").Id;
        Assert.True(await host.Deployments.RerunAsync(id, new RerunScope(RerunKind.Task, "engine", [m2Id]), default));
        await host.WaitFinishedAsync(id);
        Assert.Equal(1, Runs("engine", "rr-m1"));
        Assert.Equal(2, Runs("engine", "rr-m2"));

        // "from" after the fix: the task and what depends on it run; the deployment succeeds.
        File.WriteAllText(fix, "");
        Assert.True(await host.Deployments.RerunAsync(id, new RerunScope(RerunKind.From, "flaky"), default));
        Assert.Equal(DeploymentStatus.Succeeded, (await host.WaitFinishedAsync(id)).Status);
        Assert.Equal(1, Runs("child", "rr-c1"));
        var all = await host.Store.ListRunsAsync(id, default);
        Assert.Equal(3, all.Count(r => r.TaskId == "flaky"));       // history kept: failed, failed, succeeded
        Assert.Equal(3, all.Count(r => r.TaskId == "child"));       // skipped, skipped, succeeded

        // Nothing left to re-run.
        await Assert.ThrowsAsync<ValidationFailedException>(() => host.Deployments.RerunAsync(id, new RerunScope(RerunKind.Failed), default));
    }

    [Fact]
    public async Task TwelveTasks_RunAtOnceOnOneNode()
    {
        var tasks = string.Join("\n", Enumerable.Range(1, 12).Select(i =>
            $"  - id: t{i}\n    roles: [controller]\n    script: |\n" + Indent(Mark($"t{i}", "sleep 2"))));
        var host = await HostAsync("tasks:\n" + tasks + "\n  - id: m\n    roles: [mistral]\n    script: |\n      true\n");
        var (c, m) = (await sshd.StartNodeAsync("par-c1"), await sshd.StartNodeAsync("par-m1"));
        var (env, _) = await host.CreateEnvironmentAsync(sshd, [(c, Roles.Controller), (m, Roles.Mistral)]);

        var id = (await host.Deployments.StartAsync(env, "tester", null, null, default))!.Value;
        var done = await host.WaitFinishedAsync(id, TimeSpan.FromSeconds(90));

        Assert.Equal(DeploymentStatus.Succeeded, done.Status);
        var stamps = Enumerable.Range(1, 12).Select(i => Stamp($"t{i}", "par-c1")).ToList();
        // All twelve overlap with at least ten others (sshd allows 10 sessions per connection).
        var overlapping = stamps.Count(s => stamps.Count(o => o.Start < s.End && s.Start < o.End) >= 10);
        Assert.True(overlapping >= 10, $"only {overlapping} of 12 tasks overlapped");
    }

    [Fact]
    public async Task SecondDeploy_IsRefused_WhileOneIsActive()
    {
        var yaml = $"""
            tasks:
              - id: a
                roles: [controller]
                script: |
                  sleep 3
              - id: m
                roles: [mistral]
                script: |
                  true
            """;
        var host = await HostAsync(yaml);
        var (c, m) = (await sshd.StartNodeAsync("one-c1"), await sshd.StartNodeAsync("one-m1"));
        var (env, _) = await host.CreateEnvironmentAsync(sshd, [(c, Roles.Controller), (m, Roles.Mistral)]);
        var id = (await host.Deployments.StartAsync(env, "tester", null, null, default))!.Value;

        var e = await Assert.ThrowsAsync<DeploymentConflictException>(() => host.Deployments.StartAsync(env, "tester", null, null, default));
        Assert.Contains("still", e.Message);
        await host.WaitFinishedAsync(id);
    }

    [Fact]
    public async Task Retries_RunAFailedTaskAgain_UpToItsLimit()
    {
        var counter = Path.Combine(_dir, "count");
        var yaml = $"""
            tasks:
              - id: third-time-lucky
                roles: [controller]
                retries: 2
                script: |
                  echo x >> {counter}
                  [ "$(wc -l < {counter})" -ge 3 ]
              - id: m
                roles: [mistral]
                script: |
                  true
            """;
        var host = await HostAsync(yaml);
        var (c, m) = (await sshd.StartNodeAsync("retry-c1"), await sshd.StartNodeAsync("retry-m1"));
        var (env, _) = await host.CreateEnvironmentAsync(sshd, [(c, Roles.Controller), (m, Roles.Mistral)]);

        var id = (await host.Deployments.StartAsync(env, "tester", null, null, default))!.Value;

        Assert.Equal(DeploymentStatus.Succeeded, (await host.WaitFinishedAsync(id)).Status);
        var attempts = (await host.Store.ListRunsAsync(id, default)).Where(r => r.TaskId == "third-time-lucky").OrderBy(r => r.Attempt).ToList();
        Assert.Equal([TaskRunStatus.Failed, TaskRunStatus.Failed, TaskRunStatus.Succeeded], attempts.Select(r => r.Status));
    }

    [Fact]
    public async Task DryRun_ListsOrderedPlanPerNode_AndTouchesNothing()
    {
        var yaml = $"""
            tasks:
              - id: one
                roles: [controller, mistral]
                script: |
            {Indent(Mark("one"))}
              - id: two
                roles: [controller]
                requires: [one]
                script: |
            {Indent(Mark("two"))}
            """;
        var host = await HostAsync(yaml);
        var (c, m) = (await sshd.StartNodeAsync("dry-c1"), await sshd.StartNodeAsync("dry-m1"));
        var (env, _) = await host.CreateEnvironmentAsync(sshd, [(c, Roles.Controller), (m, Roles.Mistral)]);

        var plan = await host.Deployments.DryRunAsync(env, null, null, default);

        Assert.NotNull(plan);
        Assert.Equal(["one", "two"], plan!.Nodes.Single(n => n.NodeName == "dry-c1").Tasks.Select(t => t.TaskId));
        Assert.Equal(["one"], plan.Nodes.Single(n => n.NodeName == "dry-m1").Tasks.Select(t => t.TaskId));
        Assert.Contains("\"one@", plan.Dot);
        Assert.Empty(Directory.GetFiles(Marks));
        Assert.Empty(await host.Store.ListAsync(env, 10, null, default));
    }
}
