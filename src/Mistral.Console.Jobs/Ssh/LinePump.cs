using System.Text;

namespace Mistral.Console.Jobs.Ssh;

/// <summary>Splits a byte stream into text lines. Never throws on content: a line is capped, invalid
/// UTF-8 becomes U+FFFD and NUL becomes U+FFFD (databases reject NUL in text).</summary>
internal static class LinePump
{
    public const int MaxLineBytes = 64 * 1024;

    public static async Task RunAsync(Stream stream, Action<string> emit, int maxLineBytes = MaxLineBytes)
    {
        var buffer = new byte[16 * 1024];
        var line = new byte[maxLineBytes];
        var length = 0;
        long cut = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            var rest = buffer.AsMemory(0, read);
            while (!rest.IsEmpty)
            {
                var newline = rest.Span.IndexOf((byte)'\n');
                var chunk = newline < 0 ? rest.Span : rest.Span[..newline];
                var room = maxLineBytes - length;
                if (chunk.Length <= room)
                {
                    chunk.CopyTo(line.AsSpan(length));
                    length += chunk.Length;
                }
                else
                {
                    chunk[..room].CopyTo(line.AsSpan(length));
                    length = maxLineBytes;
                    cut += chunk.Length - room;
                }
                if (newline < 0)
                    break;
                emit(Decode(line, length, cut));
                length = 0;
                cut = 0;
                rest = rest[(newline + 1)..];
            }
        }
        if (length > 0 || cut > 0)
            emit(Decode(line, length, cut));
    }

    private static string Decode(byte[] line, int length, long cut)
    {
        if (cut == 0 && length > 0 && line[length - 1] == '\r')
            length--;
        var text = Encoding.UTF8.GetString(line, 0, length);
        if (text.Contains('\0'))
            text = text.Replace('\0', '\uFFFD');
        return cut > 0 ? $"{text} [line cut: {cut} more bytes]" : text;
    }
}
