using System.Diagnostics.CodeAnalysis;
using NpgsqlTypes;

namespace PgHa.Client;

/// <summary>
/// What a read must see: a WAL position at or past the commit of a write (taken right after its COMMIT). A replica
/// that has replayed up to it shows that write. Small and serialisable (<see cref="ToString"/> gives the LSN text,
/// e.g. <c>"0/16B3748"</c>, and <see cref="Parse"/> reads it back), so a web app can carry it to a user's next request.
/// The default value asks for nothing.
/// </summary>
public readonly record struct PgHaConsistencyToken(NpgsqlLogSequenceNumber Position) : IComparable<PgHaConsistencyToken>
{
    /// <summary>The token that asks for nothing.</summary>
    public static PgHaConsistencyToken None => default;

    /// <summary>Whether this token asks for nothing.</summary>
    public bool IsNone => (ulong)Position == 0;

    /// <summary>The later of two tokens.</summary>
    public static PgHaConsistencyToken Max(PgHaConsistencyToken a, PgHaConsistencyToken b) => a.CompareTo(b) >= 0 ? a : b;

    /// <summary>Reads a token written by <see cref="ToString"/>.</summary>
    /// <exception cref="FormatException">The text is not a token.</exception>
    public static PgHaConsistencyToken Parse(string text)
        => TryParse(text, out var token) ? token : throw new FormatException($"\"{text}\" is not a PgHa consistency token (expected a WAL position such as \"0/16B3748\").");

    /// <summary>Reads a token written by <see cref="ToString"/>; <see langword="false"/> for anything else (including <see langword="null"/>, so untrusted input is safe to pass).</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out PgHaConsistencyToken token)
    {
        if (text is not null && text.Length <= 17 && NpgsqlLogSequenceNumber.TryParse(text, out var position))
        {
            token = new PgHaConsistencyToken(position);
            return true;
        }

        token = default;
        return false;
    }

    /// <inheritdoc />
    public int CompareTo(PgHaConsistencyToken other) => ((ulong)Position).CompareTo((ulong)other.Position);

    /// <summary>The WAL position as PostgreSQL writes it, e.g. <c>"0/16B3748"</c>.</summary>
    public override string ToString() => Position.ToString();

    /// <summary>Compares tokens by position.</summary>
    public static bool operator <(PgHaConsistencyToken left, PgHaConsistencyToken right) => left.CompareTo(right) < 0;

    /// <summary>Compares tokens by position.</summary>
    public static bool operator >(PgHaConsistencyToken left, PgHaConsistencyToken right) => left.CompareTo(right) > 0;

    /// <summary>Compares tokens by position.</summary>
    public static bool operator <=(PgHaConsistencyToken left, PgHaConsistencyToken right) => left.CompareTo(right) <= 0;

    /// <summary>Compares tokens by position.</summary>
    public static bool operator >=(PgHaConsistencyToken left, PgHaConsistencyToken right) => left.CompareTo(right) >= 0;
}
