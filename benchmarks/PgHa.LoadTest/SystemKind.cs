namespace PgHa.LoadTest;

/// <summary>The systems one run compares; <see cref="Raw"/> is the baseline every ratio is taken against.</summary>
internal enum SystemKind
{
    Raw,
    RawReplicas,
    PgHa,
    PgHaPrimary,
    HaProxy,
    PgPool,
    MultiHost,
}
