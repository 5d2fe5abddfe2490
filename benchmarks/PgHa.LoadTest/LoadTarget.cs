using Npgsql;

namespace PgHa.LoadTest;

/// <summary>One system under test: how an operation opens its connection for a read and for a write.</summary>
/// <remarks>The delegates are built once; calling them allocates nothing of the generator's own.</remarks>
internal sealed class LoadTarget(
    SystemKind kind,
    Func<ValueTask<NpgsqlConnection>> openRead,
    Func<ValueTask<NpgsqlConnection>> openWrite)
{
    public SystemKind Kind { get; } = kind;

    public string Name => Kind.Name();

    public Func<ValueTask<NpgsqlConnection>> OpenRead { get; } = openRead;

    public Func<ValueTask<NpgsqlConnection>> OpenWrite { get; } = openWrite;
}
