using System.Data;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PgHa.Client.Topology;
using PgHa.Client.Topology.Internal;

namespace PgHa.Client.EntityFrameworkCore.Internal;

/// <summary>
/// PgHa's state for one context instance (a scoped EF service): the connection PgHa handed to EF and where it
/// went, the depth of <c>ReadFromReplica</c> scopes, and the snapshot the last failure was seen on. A pooled
/// context keeps its instance across leases; <see cref="ResetState"/> runs when it goes back to the pool.
/// </summary>
internal sealed class PgHaContextState(IServiceProvider services) : IResettableService
{
    private PgHaOptionsExtension? _extension;

    // Resolved on first use: the interceptors holding this state are created while EF is still initializing the
    // context, before its options can be resolved.
    private PgHaOptionsExtension Extension => _extension ??= ValidatedExtension();

    public PgHaDataSource DataSource => Extension.DataSource;

    public PgHaSession? Session => Extension.Session;

    /// <summary>The connection EF holds that PgHa created: a never-opened placeholder, or the one the last open routed.</summary>
    public DbConnection? Current { get; private set; }

    /// <summary>The connection the last open replaced: EF may have created a command on it just before opening.</summary>
    public DbConnection? Replaced { get; private set; }

    /// <summary>The role <see cref="Current"/> was routed by, or <see langword="null"/> while it is the placeholder.</summary>
    public TargetRole? Role { get; private set; }

    /// <summary>Where <see cref="Current"/> was opened, read at open time (Npgsql forgets it once the connection breaks).</summary>
    public NodeEndPoint? Node { get; private set; }

    public int ReplicaScopeDepth { get; private set; }

    /// <summary>Changes each time the context goes back to the pool, so a scope left from an earlier lease cannot end a later one's.</summary>
    public int Lease { get; private set; }

    /// <summary>The last node failure seen: the next open routes only on a snapshot that accounts for it.</summary>
    public NodeFailureMark LastFailure { get; set; } = NodeFailureMark.None;

    public TargetRole RoleForNextOpen => ReplicaScopeDepth > 0 ? TargetRole.Replica : TargetRole.Primary;

    public bool IsOpenOnReplica => Current is { State: ConnectionState.Open } && Role is not null and not TargetRole.Primary;

    public bool IsPrimaryConnection(DbConnection? connection) => Manages(connection) && Role == TargetRole.Primary;

    /// <summary>The state of a context configured with <c>UsePgHa</c>; <see langword="null"/> for any other context.</summary>
    public static PgHaContextState? Of(DbContext context)
        => ((IInfrastructure<IServiceProvider>)context).Instance.GetService<PgHaContextState>();

    public bool Manages(DbConnection? connection) => connection is not null && ReferenceEquals(connection, Current);

    // EF validates extensions only when it builds a service provider, and contexts whose options differ in ways that
    // do not change their services share one: so each context's options are checked here, once.
    private PgHaOptionsExtension ValidatedExtension()
    {
        var options = services.GetRequiredService<IDbContextOptions>();
        var extension = options.FindExtension<PgHaOptionsExtension>()
            ?? throw new InvalidOperationException("The context's options have no PgHa extension; configure it with UsePgHa.");
        extension.Validate(options);
        return extension;
    }

    public NpgsqlConnection CreatePlaceholder()
    {
        var placeholder = new NpgsqlConnection();
        (Current, Replaced, Role, Node) = (placeholder, null, null, null);
        return placeholder;
    }

    public void Installed(NpgsqlConnection routed, TargetRole role, DbConnection replaced)
        => (Current, Replaced, Role, Node) = (routed, replaced, role, new NodeEndPoint(routed.Host ?? "", routed.Port));

    public void EnterReplicaScope() => ReplicaScopeDepth++;

    public void ExitReplicaScope(int lease)
    {
        if (lease == Lease && ReplicaScopeDepth > 0)
            ReplicaScopeDepth--;
    }

    public void ResetState()
    {
        ReplicaScopeDepth = 0;
        LastFailure = NodeFailureMark.None;
        Lease++;
    }

    public Task ResetStateAsync(CancellationToken cancellationToken = default)
    {
        ResetState();
        return Task.CompletedTask;
    }
}
