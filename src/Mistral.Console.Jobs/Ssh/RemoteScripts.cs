using System.Globalization;

namespace Mistral.Console.Jobs.Ssh;

/// <summary>The fixed remote commands. They carry no user data, only numbers and a random run tag,
/// so nothing secret ever reaches argv on either side.</summary>
internal static class RemoteScripts
{
    public static string MarkerPrefix(string tag) => $"#mc:{tag}:";

    /// <summary>Saves stdin to a private file and runs it with bash in a new session, stdin from
    /// /dev/null, so a command that reads stdin (rabbitmqctl) cannot swallow the rest of the script.
    /// A byte count guards against running a script cut short by a dropped connection. On stderr it
    /// reports "pgid N" before the script starts and "exit N" after it ends.</summary>
    public static string Run(string tag, int scriptBytes, bool sudo)
    {
        var m = MarkerPrefix(tag);
        var n = scriptBytes.ToString(CultureInfo.InvariantCulture);
        var body =
            "umask 077; " +
            "f=$(mktemp \"${TMPDIR:-/tmp}/mc-script.XXXXXXXXXX\") || exit 125; " +
            "cat >\"$f\"; " +
            $"if [ \"$(wc -c <\"$f\")\" -ne {n} ]; then rm -f \"$f\"; echo \"{m}short\" >&2; exit 125; fi; " +
            "setsid bash \"$f\" </dev/null & p=$!; " +
            $"echo \"{m}pgid $p\" >&2; " +
            "wait $p; rc=$?; rm -f \"$f\"; " +
            $"echo \"{m}exit $rc\" >&2; exit $rc";
        return Wrap(body, sudo);
    }

    /// <summary>TERM to the whole process group, then KILL after the grace period.</summary>
    public static string Kill(int pgid, TimeSpan grace, bool sudo)
    {
        // Group 0 or 1 would mean "my group" or "everything": never.
        ArgumentOutOfRangeException.ThrowIfLessThan(pgid, 2);
        var g = pgid.ToString(CultureInfo.InvariantCulture);
        var tenths = Math.Max(1, (int)(grace.TotalMilliseconds / 100)).ToString(CultureInfo.InvariantCulture);
        var body =
            $"kill -TERM -{g} 2>/dev/null || exit 0; i=0; " +
            $"while kill -0 -{g} 2>/dev/null; do " +
            $"if [ $i -ge {tenths} ]; then kill -KILL -{g} 2>/dev/null; exit 0; fi; " +
            "sleep 0.1; i=$((i+1)); done; exit 0";
        return Wrap(body, sudo);
    }

    // The login shell only sees one simple command; the body itself is POSIX sh without single quotes.
    private static string Wrap(string body, bool sudo) => (sudo ? "sudo -n " : "") + "/bin/sh -c '" + body + "'";
}
