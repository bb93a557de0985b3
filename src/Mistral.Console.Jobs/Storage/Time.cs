namespace Mistral.Console.Jobs.Storage;

/// <summary>Times are stored as Unix milliseconds in both dialects.</summary>
internal static class Time
{
    public static long ToDb(DateTimeOffset t) => t.ToUnixTimeMilliseconds();
    public static DateTimeOffset FromDb(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
    public static DateTimeOffset? FromDb(long? ms) => ms is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(ms.Value);
}
