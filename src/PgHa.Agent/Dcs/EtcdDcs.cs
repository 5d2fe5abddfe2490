using System.Text.Json;
using Microsoft.Extensions.Logging;
using PgHa.Agent.Dcs.Etcd;

namespace PgHa.Agent.Dcs;

/// <summary>
/// One member's view of the DCS. The member holds one session lease of <c>ttl</c> (like Patroni): its member key and,
/// while it leads, the leader key hang on it, so renewing leadership is one keepalive and a member that stops renewing
/// (crashed, frozen, cut off) loses both when the lease runs out. Not thread-safe: the HA loop drives it.
/// </summary>
internal sealed partial class EtcdDcs(EtcdClient etcd, DcsKeys keys, string memberName, TimeSpan ttl, ILogger logger)
{
    private long _lease;

    public DcsKeys Keys { get; } = keys;

    /// <summary>
    /// When the session lease may start to expire (a <see cref="System.Diagnostics.Stopwatch"/> timestamp): the send time
    /// of the last successful grant or keepalive plus the TTL etcd granted. etcd counts from when it received the
    /// request, so the real expiry is never earlier. 0 without a lease.
    /// </summary>
    public long LeaseDeadline { get; private set; }

    public string MemberName { get; } = memberName;

    /// <summary>Reads the whole cluster in one request.</summary>
    public async Task<ClusterView> LoadAsync(CancellationToken ct)
    {
        var (kvs, revision) = await etcd.GetPrefixAsync(Keys.Base, ct).ConfigureAwait(false);
        return ClusterView.From(Keys, kvs, revision);
    }

    /// <summary>Publishes this member's status on its session lease, renewing the lease (granting a new one if it is gone).</summary>
    public async Task TouchMemberAsync(MemberStatus status, CancellationToken ct)
    {
        var json = JsonSerializer.Serialize(status);
        await WithLeaseAsync(lease => etcd.PutAsync(Keys.Member(MemberName), json, lease, ct), ct).ConfigureAwait(false);
    }

    /// <summary>Races for the leader key: <see langword="true"/> if this member now holds it.</summary>
    public Task<bool> TryAcquireLeaderAsync(CancellationToken ct)
        => WithLeaseAsync(lease => etcd.CreateAsync(Keys.Leader, MemberName, lease, ct), ct);

    /// <summary>
    /// Renews leadership: a keepalive of the session lease, then a check that the leader key is still ours.
    /// <see langword="false"/> means this member is no longer (or cannot prove it is) the leader and must stop taking
    /// writes. A key that names this member on another lease (the agent restarted while its old lease lived on) is
    /// moved to the current lease with a compare-on-value transaction, as Patroni does: nobody else can hold it meanwhile.
    /// </summary>
    public async Task<bool> RenewLeaderAsync(CancellationToken ct)
    {
        if (_lease != 0 && !await KeepAliveAsync(ct).ConfigureAwait(false))
        {
            LogLeaseLost(logger, MemberName);
            _lease = 0;
            return false;
        }

        if (_lease == 0)
            await GrantAsync(ct).ConfigureAwait(false);
        var leader = await etcd.GetAsync(Keys.Leader, ct).ConfigureAwait(false);
        if (leader is null || EtcdClient.Text(leader.Value) != MemberName)
            return false;
        return leader.Lease == _lease || await etcd.ReplaceAsync(Keys.Leader, MemberName, MemberName, _lease, ct).ConfigureAwait(false);
    }

    /// <summary>The leader publishes its WAL position (no lease: it must outlive the leader, so candidates can tell how far behind they are).</summary>
    public Task<long> WriteLeaderOptimeAsync(long walPosition, int timeline, CancellationToken ct)
        => etcd.PutAsync(Keys.Status, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{{\"optime\":{walPosition},\"timeline\":{timeline}}}"), lease: 0, ct);

    /// <summary>Gives the leader key up (planned switchover, shutdown), only if it is still ours.</summary>
    public Task<bool> ReleaseLeaderAsync(CancellationToken ct) => etcd.DeleteIfAsync(Keys.Leader, MemberName, ct);

    /// <summary>The bootstrap race: <see langword="true"/> if this member won it and must run initdb.</summary>
    public Task<bool> TryClaimInitializationAsync(CancellationToken ct) => etcd.CreateAsync(Keys.Initialize, "", lease: 0, ct);

    /// <summary>After a successful bootstrap: records the system identifier.</summary>
    public Task<long> CompleteInitializationAsync(long systemIdentifier, CancellationToken ct)
        => etcd.PutAsync(Keys.Initialize, systemIdentifier.ToString(System.Globalization.CultureInfo.InvariantCulture), lease: 0, ct);

    /// <summary>After a failed bootstrap: lets another member try.</summary>
    public Task<bool> CancelInitializationAsync(CancellationToken ct) => etcd.DeleteIfAsync(Keys.Initialize, "", ct);

    /// <summary>Ends the session: the member and (if held) leader keys go at once instead of after <c>ttl</c>.</summary>
    public async Task CloseSessionAsync(CancellationToken ct)
    {
        if (_lease != 0)
            await etcd.RevokeLeaseAsync(_lease, ct).ConfigureAwait(false);
        _lease = 0;
        LeaseDeadline = 0;
    }

    /// <summary>Streams changes under the cluster's keys from <paramref name="fromRevision"/>, to wake the HA loop.</summary>
    public IAsyncEnumerable<EtcdWatchEvent> WatchAsync(long fromRevision, CancellationToken ct) => etcd.WatchAsync(Keys.Base, prefix: true, fromRevision, ct);

    /// <summary>Writes (or with <see langword="null"/> deletes) a key without a lease: sync, failover, history, config.</summary>
    public async Task WriteAsync(string key, string? value, CancellationToken ct)
    {
        if (value is null)
            await etcd.DeleteAsync(key, ct).ConfigureAwait(false);
        else
            await etcd.PutAsync(key, value, lease: 0, ct).ConfigureAwait(false);
    }

    /// <summary>Writes a key only while this member holds the leader key (the <c>sync</c> key: a deposed leader's late write must not land).</summary>
    public Task<bool> WriteAsLeaderAsync(string key, string value, CancellationToken ct) => etcd.PutIfAsync(Keys.Leader, MemberName, key, value, ct);

    private async Task<T> WithLeaseAsync<T>(Func<long, Task<T>> write, CancellationToken ct)
    {
        if (_lease == 0 || !await KeepAliveAsync(ct).ConfigureAwait(false))
            await GrantAsync(ct).ConfigureAwait(false);
        try
        {
            return await write(_lease).ConfigureAwait(false);
        }
        catch (EtcdException ex) when (ex.Code == 5)
        {
            // The lease expired between the keepalive and the write: start a new session and write once more.
            await GrantAsync(ct).ConfigureAwait(false);
            return await write(_lease).ConfigureAwait(false);
        }
    }

    private async Task GrantAsync(CancellationToken ct)
    {
        var sent = System.Diagnostics.Stopwatch.GetTimestamp();
        _lease = await etcd.GrantLeaseAsync(ttl, ct).ConfigureAwait(false);
        LeaseDeadline = sent + (long)(ttl.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
    }

    private async Task<bool> KeepAliveAsync(CancellationToken ct)
    {
        var sent = System.Diagnostics.Stopwatch.GetTimestamp();
        if (await etcd.KeepAliveAsync(_lease, ct).ConfigureAwait(false) is not { } granted)
        {
            LeaseDeadline = 0;
            return false;
        }

        LeaseDeadline = sent + (long)(granted.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        return true;
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "{Member}: the DCS session lease is gone; leadership and the member key went with it")]
    private static partial void LogLeaseLost(ILogger logger, string member);
}
