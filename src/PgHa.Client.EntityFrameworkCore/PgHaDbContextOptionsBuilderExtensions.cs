using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure;
using PgHa.Client;
using PgHa.Client.EntityFrameworkCore;
using PgHa.Client.EntityFrameworkCore.Internal;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Configures a context to use a PostgreSQL cluster through a <see cref="PgHaDataSource"/>.</summary>
public static class PgHaDbContextOptionsBuilderExtensions
{
    /// <summary>
    /// Uses Npgsql's EF Core provider over <paramref name="dataSource"/>, with PgHa's routing and failover handling:
    /// <list type="bullet">
    /// <item>Every open of the context's connection is routed: to the primary, or to a lag-bounded replica inside
    /// <see cref="PgHaDbContextExtensions.ReadFromReplica"/>. Writes, <c>SaveChanges</c> and transactions always go
    /// to the primary.</item>
    /// <item>Every <c>SaveChanges</c> runs in a transaction (<see cref="AutoTransactionBehavior.WhenNeeded"/> is
    /// raised to <see cref="AutoTransactionBehavior.Always"/>) and every transaction on the primary commits with a
    /// commit marker (<see cref="PgHaDataSource.CommitAsync"/>), so a COMMIT cut off by a failover is looked up, not
    /// guessed at.</item>
    /// <item><see cref="PgHaExecutionStrategy"/> runs an operation again after a failover, within
    /// <see cref="PgHaOptions.RetryBudget"/>, and never when the outcome of a COMMIT is unknown.</item>
    /// </list>
    /// </summary>
    /// <param name="optionsBuilder">The builder being configured.</param>
    /// <param name="dataSource">The cluster's data source; the application owns and disposes it.</param>
    /// <param name="npgsqlOptionsAction">Further Npgsql provider settings. It must not set an execution strategy.</param>
    /// <param name="session">A read-your-writes session: commits move its token forward, and scope reads go only to
    /// replicas that have the session's writes. Give one per request (options built per request), not to a pooled
    /// context, whose options every lease shares.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException"><paramref name="npgsqlOptionsAction"/> set an execution strategy.</exception>
    public static DbContextOptionsBuilder UsePgHa(
        this DbContextOptionsBuilder optionsBuilder,
        PgHaDataSource dataSource,
        Action<NpgsqlDbContextOptionsBuilder>? npgsqlOptionsAction = null,
        PgHaSession? session = null)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        ArgumentNullException.ThrowIfNull(dataSource);
        var previous = optionsBuilder.Options.FindExtension<PgHaOptionsExtension>()?.StrategyFactory;
        Func<ExecutionStrategyDependencies, IExecutionStrategy> strategy = dependencies => new PgHaExecutionStrategy(dependencies);
        optionsBuilder.UseNpgsql(dataSource, npgsql =>
        {
            npgsqlOptionsAction?.Invoke(npgsql);
            var configured = optionsBuilder.Options.Extensions.OfType<RelationalOptionsExtension>().FirstOrDefault()?.ExecutionStrategyFactory;
            if (configured is not null && !ReferenceEquals(configured, previous))
                throw new InvalidOperationException(
                    "UsePgHa installs PgHaExecutionStrategy, which runs work again after a failover without applying it twice; the Npgsql options also set an execution strategy (EnableRetryOnFailure or ExecutionStrategy). Remove it.");
            npgsql.ExecutionStrategy(strategy);
        });
        ((IDbContextOptionsBuilderInfrastructure)optionsBuilder).AddOrUpdateExtension(new PgHaOptionsExtension(dataSource, session, strategy));
        return optionsBuilder;
    }

    /// <inheritdoc cref="UsePgHa(DbContextOptionsBuilder, PgHaDataSource, Action{NpgsqlDbContextOptionsBuilder}?, PgHaSession?)"/>
    public static DbContextOptionsBuilder<TContext> UsePgHa<TContext>(
        this DbContextOptionsBuilder<TContext> optionsBuilder,
        PgHaDataSource dataSource,
        Action<NpgsqlDbContextOptionsBuilder>? npgsqlOptionsAction = null,
        PgHaSession? session = null)
        where TContext : DbContext
        => (DbContextOptionsBuilder<TContext>)UsePgHa((DbContextOptionsBuilder)optionsBuilder, dataSource, npgsqlOptionsAction, session);
}
