using Mistral.Console.Core.Secrets;

namespace Mistral.Console.Core.Tests.Secrets;

public sealed class SecretGeneratorTests
{
    /// <summary>Replays a fixed sequence and records every bound it was asked for.</summary>
    private sealed class SequenceSource(params int[] values) : IRandomSource
    {
        private int _i;
        public List<int> Bounds { get; } = [];

        public int Next(int maxExclusive)
        {
            Bounds.Add(maxExclusive);
            return values[_i++ % values.Length] % maxExclusive;
        }
    }

    [Fact]
    public void Password_Is24Characters_DrawnFromTheSource()
    {
        var source = new SequenceSource(0, 1, 26, 52, 61);
        var password = new SecretGenerator(source).NewPassword();
        Assert.Equal("ABa09ABa09ABa09ABa09ABa0", password);
        Assert.Equal(24, source.Bounds.Count);
        Assert.All(source.Bounds, b => Assert.Equal(62, b));
    }

    [Fact]
    public void Alphabet_IsExactlyLettersAndDigits()
    {
        Assert.Equal(62, SecretGenerator.Alphabet.Distinct().Count());
        Assert.All(SecretGenerator.Alphabet, c => Assert.True(char.IsAsciiLetterOrDigit(c)));
    }

    [Fact]
    public void CryptoSource_GivesDistinctAlphanumericPasswords_CoveringTheAlphabet()
    {
        var generator = new SecretGenerator(new CryptoRandomSource());
        var passwords = Enumerable.Range(0, 200).Select(_ => generator.NewPassword()).ToList();
        Assert.Equal(200, passwords.Distinct().Count());
        Assert.All(passwords, p => Assert.Matches("^[A-Za-z0-9]{24}$", p));
        // 4800 draws from 62 symbols: every symbol shows up unless the source is broken.
        Assert.Equal(62, passwords.SelectMany(p => p).Distinct().Count());
    }
}
