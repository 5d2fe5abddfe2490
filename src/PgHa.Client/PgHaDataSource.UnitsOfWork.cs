using Npgsql;
using PgHa.Client.Resilience;

namespace PgHa.Client;

public sealed partial class PgHaDataSource
{
    /// <summary>
    /// Runs <paramref name="work"/> in a transaction on the primary and commits it. If the primary fails or is
    /// demoted before COMMIT is sent, the whole unit runs again on the new primary once the watchdog has found it,
    /// within <see cref="PgHaOptions.RetryBudget"/>; serialization failures and deadlocks run again at once
    /// (<see cref="PgHaOptions.RetryOnConflict"/>). Other errors surface unchanged at once.
    /// </summary>
    /// <exception cref="PgHaCommitOutcomeUnknownException">The connection failed while COMMIT was in flight and the unit is not marked idempotent.</exception>
    /// <exception cref="PgHaException">The retry budget ran out; the message lists every attempt and each node's state.</exception>
    public Task<T> ExecuteWriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken = default)
        => ExecuteWriteAsync(work, options: null, cancellationToken);

    /// <inheritdoc cref="ExecuteWriteAsync{T}(Func{NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task{T}}, CancellationToken)"/>
    public Task<T> ExecuteWriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<T>> work, UnitOfWorkOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        ThrowIfDisposed();
        return _units.RunAsync((state, ct) => _units.WriteAttemptAsync(work, state, ct), options, cancellationToken);
    }

    /// <inheritdoc cref="ExecuteWriteAsync{T}(Func{NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task{T}}, CancellationToken)"/>
    public Task ExecuteWriteAsync(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task> work, UnitOfWorkOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        return ExecuteWriteAsync<bool>(async (c, t, ct) =>
        {
            await work(c, t, ct).ConfigureAwait(false);
            return true;
        }, options, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a connection routed by <see cref="UnitOfWorkOptions.ReadRole"/> (a lag-bounded
    /// replica by default) and runs it again on another node if that node fails, within the retry budget.
    /// </summary>
    public Task<T> ExecuteReadAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken = default)
        => ExecuteReadAsync(work, options: null, cancellationToken);

    /// <inheritdoc cref="ExecuteReadAsync{T}(Func{NpgsqlConnection, CancellationToken, Task{T}}, CancellationToken)"/>
    public Task<T> ExecuteReadAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work, UnitOfWorkOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        ThrowIfDisposed();
        var role = options?.ReadRole ?? TargetRole.Replica;
        return _units.RunAsync((state, ct) => _units.ReadAttemptAsync(work, role, state, ct), options, cancellationToken);
    }
}
