using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace PgHa.Client.EntityFrameworkCore.Internal;

/// <summary>
/// What <c>UsePgHa</c> adds to a context's options: the data source, the optional session, and the services that
/// route connections and commit through PgHa. The services are scoped, so each context instance has its own state.
/// </summary>
internal sealed class PgHaOptionsExtension(PgHaDataSource dataSource, PgHaSession? session, Func<ExecutionStrategyDependencies, IExecutionStrategy> strategyFactory)
    : IDbContextOptionsExtension
{
    private DbContextOptionsExtensionInfo? _info;

    public PgHaDataSource DataSource => dataSource;

    public PgHaSession? Session => session;

    /// <summary>The factory <c>UsePgHa</c> installed: validation checks that nothing replaced it later.</summary>
    public Func<ExecutionStrategyDependencies, IExecutionStrategy> StrategyFactory => strategyFactory;

    public DbContextOptionsExtensionInfo Info => _info ??= new ExtensionInfo(this);

    public void ApplyServices(IServiceCollection services)
    {
        services.AddScoped<PgHaContextState>();
        services.AddScoped<IResettableService>(provider => provider.GetRequiredService<PgHaContextState>());
        services.AddScoped<IInterceptor, RoutingConnectionInterceptor>();
        services.AddScoped<IInterceptor, RoutedCommandInterceptor>();
        services.AddScoped<IInterceptor, MarkedCommitInterceptor>();
        services.AddScoped<IInterceptor, SaveChangesGuardInterceptor>();
    }

    public void Validate(IDbContextOptions options)
    {
        var relational = options.Extensions.OfType<RelationalOptionsExtension>().FirstOrDefault()
            ?? throw new InvalidOperationException("UsePgHa configures Npgsql's EF Core provider, but the options have no relational provider: something removed it.");
        if (relational.Connection is not null)
            throw new InvalidOperationException(
                "The context was given a DbConnection (UseNpgsql(connection)) after UsePgHa. PgHa routes each connection when it opens, so it must create them: configure the context with UsePgHa only.");
        if (!ReferenceEquals(relational.ExecutionStrategyFactory, strategyFactory))
            throw new InvalidOperationException(
                "The execution strategy UsePgHa installs was replaced (EnableRetryOnFailure or ExecutionStrategy called after UsePgHa). PgHaExecutionStrategy is what lets SaveChanges survive a failover without applying a change twice; remove the other strategy.");
    }

    private sealed class ExtensionInfo(IDbContextOptionsExtension extension) : DbContextOptionsExtensionInfo(extension)
    {
        public override bool IsDatabaseProvider => false;

        public override string LogFragment => "using PgHa ";

        public override int GetServiceProviderHashCode() => 0;

        // The services are the same whatever the data source: they read it from their own context's options.
        public override bool ShouldUseSameServiceProvider(DbContextOptionsExtensionInfo other) => other is ExtensionInfo;

        public override void PopulateDebugInfo(IDictionary<string, string> debugInfo) => debugInfo["PgHa:UsePgHa"] = "1";
    }
}
