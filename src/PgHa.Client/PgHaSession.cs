using Npgsql;
using NpgsqlTypes;
using PgHa.Client.Resilience;

namespace PgHa.Client;

/// <summary>
/// Read-your-writes for one user or request: the session remembers the <see cref="ConsistencyToken"/> of its latest
/// write, and its reads go only to replicas that have replayed that far, waiting up to
/// <see cref="PgHaOptions.ReadYourWritesWait"/> for one before reading on the primary. Thread-safe and cheap: create
/// one per request, or keep one per user and carry <see cref="ConsistencyToken"/> between requests.
/// </summary>
public sealed class PgHaSession
{
    private readonly PgHaDataSource _dataSource;
    private long _position;

    internal PgHaSession(PgHaDataSource dataSource, PgHaConsistencyToken start)
    {
        _dataSource = dataSource;
        _position = (long)(ulong)start.Position;
    }

    /// <summary>What this session's reads must see: the latest token observed (its own writes, or <see cref="Observe"/>).</summary>
    public PgHaConsistencyToken ConsistencyToken => new(new NpgsqlLogSequenceNumber((ulong)Interlocked.Read(ref _position)));

    /// <summary>Raises <see cref="ConsistencyToken"/> to <paramref name="token"/> if that is later (a token carried from an earlier request, say). Never lowers it.</summary>
    public void Observe(PgHaConsistencyToken token)
    {
        var wanted = (long)(ulong)token.Position;
        var current = Interlocked.Read(ref _position);
        while ((ulong)wanted > (ulong)current)
        {
            var seen = Interlocked.CompareExchange(ref _position, wanted, current);
            if (seen == current)
                return;
            current = seen;
        }
    }

    /// <summary>As <see cref="PgHaDataSource.ExecuteWriteAsync{T}(Func{NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task{T}}, UnitOfWorkOptions?, CancellationToken)"/>; on success the session's token moves past the commit.</summary>
    public Task<T> ExecuteWriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<T>> work, UnitOfWorkOptions? options = null, CancellationToken cancellationToken = default)
        => _dataSource.ExecuteWriteAsync(work, options, this, cancellationToken);

    /// <inheritdoc cref="ExecuteWriteAsync{T}(Func{NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task{T}}, UnitOfWorkOptions?, CancellationToken)"/>
    public Task ExecuteWriteAsync(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task> work, UnitOfWorkOptions? options = null, CancellationToken cancellationToken = default)
        => _dataSource.ExecuteWriteAsync(PgHaDataSource.WithoutResult(work), options, this, cancellationToken);

    /// <summary>As <see cref="PgHaDataSource.ExecuteReadAsync{T}(Func{NpgsqlConnection, CancellationToken, Task{T}}, UnitOfWorkOptions?, CancellationToken)"/>, on a node that has everything this session wrote or observed.</summary>
    public Task<T> ExecuteReadAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work, UnitOfWorkOptions? options = null, CancellationToken cancellationToken = default)
        => _dataSource.ExecuteReadAsync(work, options, ConsistencyToken, cancellationToken);

    /// <summary>
    /// Opens a connection for reading (a lag-bounded replica by default) on a node that has replayed up to
    /// <see cref="ConsistencyToken"/>: one the watchdog last saw that far, else one that gets there within
    /// <see cref="PgHaOptions.ReadYourWritesWait"/>, else the primary.
    /// </summary>
    public ValueTask<NpgsqlConnection> OpenReadConnectionAsync(TargetRole role = TargetRole.Replica, CancellationToken cancellationToken = default)
        => _dataSource.OpenConsistentAsync(role, ConsistencyToken, cancellationToken);

    /// <summary>
    /// For writes made outside <see cref="ExecuteWriteAsync{T}"/> (an ORM's own transaction, say): after they
    /// committed on <paramref name="primaryConnection"/>, moves the session's token past them (one round trip).
    /// </summary>
    public async Task ObserveCommittedWritesAsync(NpgsqlConnection primaryConnection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(primaryConnection);
        var position = new NpgsqlCommand("SELECT pg_current_wal_insert_lsn()", primaryConnection);
        await using (position.ConfigureAwait(false))
            Observe(new PgHaConsistencyToken((NpgsqlLogSequenceNumber)(await position.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!));
    }
}
