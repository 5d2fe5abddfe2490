using System.Security.Cryptography;
using System.Text;

namespace PgHa.Agent.Postgres;

/// <summary>
/// A SCRAM-SHA-256 verifier as PostgreSQL stores it (<c>SCRAM-SHA-256$iterations:salt$StoredKey:ServerKey</c>), computed
/// by the agent so a role's password never reaches SQL, <c>pg_stat_activity</c> or the server log in plain text.
/// </summary>
internal static class ScramVerifier
{
    /// <summary>PostgreSQL's default (<c>scram_iterations</c> from version 16, fixed before).</summary>
    public const int Iterations = 4096;

    /// <summary>A verifier for <paramref name="password"/> with a fresh random 16-byte salt.</summary>
    public static string Create(string password) => Create(password, RandomNumberGenerator.GetBytes(16), Iterations);

    /// <summary>A verifier for <paramref name="password"/> with the given salt (RFC 5802, RFC 7677).</summary>
    public static string Create(string password, byte[] salt, int iterations)
    {
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(Prepare(password)), salt, iterations, HashAlgorithmName.SHA256, 32);
        var clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
        var storedKey = SHA256.HashData(clientKey);
        var serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
        return $"SCRAM-SHA-256${iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}";
    }

    /// <summary>
    /// libpq and the server run SASLprep over the password; an ASCII password is left as it is. For others this is
    /// SASLprep's mapping and NFKC normalisation (without its prohibited-character check, where PostgreSQL falls back
    /// to the raw password).
    /// </summary>
    private static string Prepare(string password)
    {
        if (password.All(char.IsAscii))
            return password;
        var mapped = new StringBuilder(password.Length);
        foreach (var c in password)
        {
            if (c is '\u00AD' or '\u034F' or '\u1806' or '\u180B' or '\u180C' or '\u180D' or '\u200B' or '\u200C' or '\u200D' or '\u2060' or '\uFEFF' or (>= '\uFE00' and <= '\uFE0F'))
                continue; // "commonly mapped to nothing"
            mapped.Append(c is '\u00A0' or '\u1680' or (>= '\u2000' and <= '\u200A') or '\u202F' or '\u205F' or '\u3000' ? ' ' : c);
        }

        return mapped.ToString().Normalize(NormalizationForm.FormKC);
    }
}
