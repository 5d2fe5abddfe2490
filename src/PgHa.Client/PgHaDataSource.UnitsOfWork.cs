using Npgsql;
using PgHa.Client.Resilience;

namespace PgHa.Client;

public sealed partial class PgHaDataSource
{
    /// <summary>
    /// Runs <paramref name="work"/> in a transaction on the primary and commits it. If the primary fails, is demoted,
    /// or stops answering (the watchdog then releases the unit's connection) before COMMIT is sent, the whole unit runs
    /// again on the new primary once the watchdog has found it, within <see cref="PgHaOptions.RetryBudget"/>;
    /// serialization failures and deadlocks run again at once (<see cref="PgHaOptions.RetryOnConflict"/>). A COMMIT
    /// cut off in flight, or answered by a node no longer the writable primary, is looked up through its marker. Other
    /// errors surface unchanged at once.
    /// </summary>
    /// <exception cref="PgHaCommitOutcomeUnknownException">COMMIT was cut off in flight, its outcome could not be looked up within the budget, and the unit is not marked idempotent.</exception>
    /// <exception cref="PgHaCommitNotReplicatedException">COMMIT took effect on the primary but its wait for synchronous standbys was cancelled on the server.</exception>
    /// <exception cref="PgHaException">The retry budget ran out; the message lists every attempt and each node's state.</exception>
    public Task<T> ExecuteWriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken = default)
        => ExecuteWriteAsync(work, options: null, cancellationToken);

    /// <inheritdoc cref="ExecuteWriteAsync{T}(Func{NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task{T}}, CancellationToken)"/>
    public Task<T> ExecuteWriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<T>> work, UnitOfWorkOptions? options, CancellationToken cancellationToken = default)
        => ExecuteWriteAsync(work, options, session: null, cancellationToken);

    internal Task<T> ExecuteWriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<T>> work, UnitOfWorkOptions? options, PgHaSession? session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        ThrowIfDisposed();
        return _units.RunAsync("write", (state, ct) => _units.WriteAttemptAsync(work, state, ct), options, session, cancellationToken);
    }

    /// <inheritdoc cref="ExecuteWriteAsync{T}(Func{NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task{T}}, CancellationToken)"/>
    public Task ExecuteWriteAsync(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task> work, UnitOfWorkOptions? options = null, CancellationToken cancellationToken = default)
        => ExecuteWriteAsync(WithoutResult(work), options, session: null, cancellationToken);

    internal static Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<bool>> WithoutResult(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return async (c, t, ct) =>
        {
            await work(c, t, ct).ConfigureAwait(false);
            return true;
        };
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a connection routed by <see cref="UnitOfWorkOptions.ReadRole"/> (a lag-bounded
    /// replica by default) and runs it again on another node if that node fails, within the retry budget.
    /// </summary>
    public Task<T> ExecuteReadAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken = default)
        => ExecuteReadAsync(work, options: null, cancellationToken);

    /// <inheritdoc cref="ExecuteReadAsync{T}(Func{NpgsqlConnection, CancellationToken, Task{T}}, CancellationToken)"/>
    public Task<T> ExecuteReadAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work, UnitOfWorkOptions? options, CancellationToken cancellationToken = default)
        => ExecuteReadAsync(work, options, PgHaConsistencyToken.None, cancellationToken);

    internal Task<T> ExecuteReadAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work, UnitOfWorkOptions? options, PgHaConsistencyToken token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        ThrowIfDisposed();
        var role = options?.ReadRole ?? TargetRole.Replica;
        return _units.RunAsync("read", (state, ct) => _units.ReadAttemptAsync(work, role, token, state, ct), options, session: null, cancellationToken);
    }

    /// <summary>
    /// Commits a transaction opened on one of this data source's primary connections by code that manages its own
    /// transactions (an ORM, an execution strategy), the way units of work commit: a commit marker goes with the
    /// COMMIT, and if the connection fails while COMMIT is in flight (or its node is declared lost, or the answer comes
    /// from a node no longer the writable primary) the marker is looked up on the primary of now (within
    /// <see cref="PgHaOptions.RetryBudget"/>), so the answer is definite instead of a guess.
    /// </summary>
    /// <returns>A consistency token past the commit, for read-your-writes (<see cref="PgHaConsistencyToken.None"/>
    /// unless <paramref name="withConsistencyToken"/>, which costs nothing extra: it rides in the COMMIT's round trip).</returns>
    /// <exception cref="PgHaCommitNotAppliedException">The COMMIT was cut off and did not take effect: run the transaction again.</exception>
    /// <exception cref="PgHaCommitOutcomeUnknownException">The COMMIT was cut off and the outcome could not be found out.</exception>
    /// <exception cref="PgHaCommitNotReplicatedException">The COMMIT took effect on the primary but its wait for synchronous standbys was cancelled on the server.</exception>
    /// <exception cref="NpgsqlException">The connection failed before COMMIT was sent: nothing was committed.</exception>
    public async Task<PgHaConsistencyToken> CommitAsync(NpgsqlTransaction transaction, bool withConsistencyToken = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ThrowIfDisposed();
        var connection = transaction.Connection ?? throw new InvalidOperationException("The transaction is already completed.");
        var position = await _units.CommitExternalAsync(connection, transaction, withConsistencyToken, cancellationToken).ConfigureAwait(false);
        return withConsistencyToken ? new PgHaConsistencyToken(position) : PgHaConsistencyToken.None;
    }

    /// <summary>
    /// The SQL that creates <see cref="PgHaOptions.CommitMarkerTable"/>, for a DBA to run when the application's role
    /// may not create it. <see langword="null"/> when <see cref="PgHaOptions.ResolveInDoubtCommits"/> is off.
    /// </summary>
    public string? CommitMarkerTableScript => _units.Markers?.CreateScript;

    /// <summary>
    /// Creates the commit-marker table on the primary now if it is missing, instead of on the first write: call it
    /// at start-up to fail fast when the role may not create it. Does nothing when in-doubt resolution is off.
    /// </summary>
    /// <exception cref="PgHaException">The table is missing and cannot be created; the message gives the script to run.</exception>
    public async Task EnsureCommitMarkerTableAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (_units.Markers is not { } markers)
            return;
        var connection = await OpenConnectionAsync(TargetRole.Primary, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
            await markers.EnsureTableAsync(connection, cancellationToken).ConfigureAwait(false);
    }
}
