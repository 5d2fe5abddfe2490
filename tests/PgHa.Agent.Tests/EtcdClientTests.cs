using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using PgHa.Agent.Dcs.Etcd;
using PgHa.Testing;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>The etcd client against a real single-member etcd.</summary>
public sealed class EtcdClientTests : IAsyncLifetime
{
    private EtcdCluster _etcd = null!;
    private EtcdClient _client = null!;

    public async Task InitializeAsync()
    {
        _etcd = await EtcdCluster.StartAsync();
        _client = new EtcdClient(new EtcdClientOptions { Endpoints = [new Uri(_etcd.Members[0].ClientUrl)] }, NullLogger.Instance);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _etcd.DisposeAsync();
    }

    [Fact]
    public async Task Keys_are_written_read_listed_by_prefix_and_deleted()
    {
        await _client.PutAsync("/service/pg/members/n1", "{\"role\":\"primary\"}", lease: 0, default);
        await _client.PutAsync("/service/pg/members/n2", "{\"role\":\"replica\"}", lease: 0, default);
        await _client.PutAsync("/service/pg0/other", "x", lease: 0, default);

        Assert.Equal("{\"role\":\"primary\"}", EtcdClient.Text((await _client.GetAsync("/service/pg/members/n1", default))!.Value));
        var (members, revision) = await _client.GetPrefixAsync("/service/pg/members/", default);
        Assert.Equal(["/service/pg/members/n1", "/service/pg/members/n2"], members.Select(m => EtcdClient.Text(m.Key)));
        Assert.True(revision >= 3);
        Assert.Null(await _client.GetAsync("/service/pg/missing", default));

        Assert.Equal(2, await _client.DeletePrefixAsync("/service/pg/members/", default));
        Assert.Equal(1, await _client.DeleteAsync("/service/pg0/other", default));
        Assert.Empty((await _client.GetPrefixAsync("/service/", default)).Kvs);
    }

    [Fact]
    public async Task Only_one_of_two_racers_creates_the_leader_key_and_only_the_holder_can_renew_or_release_it()
    {
        Assert.True(await _client.CreateAsync("/s/leader", "node1", lease: 0, default));
        Assert.False(await _client.CreateAsync("/s/leader", "node2", lease: 0, default));

        Assert.False(await _client.ReplaceAsync("/s/leader", "node2", "node2", lease: 0, default));
        Assert.True(await _client.ReplaceAsync("/s/leader", "node1", "node1", lease: 0, default));
        Assert.False(await _client.DeleteIfAsync("/s/leader", "node2", default));
        Assert.Equal("node1", EtcdClient.Text((await _client.GetAsync("/s/leader", default))!.Value));
        Assert.True(await _client.DeleteIfAsync("/s/leader", "node1", default));
        Assert.Null(await _client.GetAsync("/s/leader", default));
    }

    [Fact]
    public async Task A_key_on_a_lease_lives_while_it_is_kept_alive_and_goes_with_it()
    {
        var ttl = TimeSpan.FromSeconds(3);
        var lease = await _client.GrantLeaseAsync(ttl, default);
        var granted = Stopwatch.GetTimestamp(); // etcd started the TTL before it answered
        Assert.True(await _client.CreateAsync("/s/leader", "node1", lease, default));
        Assert.Equal(lease, (await _client.GetAsync("/s/leader", default))!.Lease);

        // Renewed often, so that a stalled machine still renews well within the TTL, and for longer than the TTL
        // plus etcd's expiry sweep, so that only the renewals can have kept the key.
        var lastRenewal = granted;
        while (Stopwatch.GetElapsedTime(granted) < ttl + TimeSpan.FromSeconds(2))
        {
            await Task.Delay(250);
            var sent = Stopwatch.GetTimestamp();
            var renewed = await _client.KeepAliveAsync(lease, default);
            Assert.True(renewed == ttl, $"a renewal sent {Stopwatch.GetElapsedTime(lastRenewal, sent).TotalMilliseconds:0} ms after the previous one got {renewed?.ToString() ?? "no lease"}");
            lastRenewal = sent;
        }

        Assert.NotNull(await _client.GetAsync("/s/leader", default));

        while (await _client.GetAsync("/s/leader", default) is not null)
        {
            Assert.True(Stopwatch.GetElapsedTime(lastRenewal) < ttl + TimeSpan.FromSeconds(10), "the key outlived its lease");
            await Task.Delay(100);
        }

        // etcd restarts the TTL when it receives a keepalive, which is after it was sent: the key cannot go earlier.
        var goneAfter = Stopwatch.GetElapsedTime(lastRenewal);
        Assert.True(goneAfter >= ttl, $"the key went {goneAfter.TotalMilliseconds:0} ms after the last renewal, before the {ttl.TotalSeconds} s TTL ran out");
        Assert.Null(await _client.KeepAliveAsync(lease, default));
    }

    [Fact]
    public async Task Revoking_a_lease_deletes_its_keys_at_once_and_revoking_twice_is_harmless()
    {
        var lease = await _client.GrantLeaseAsync(TimeSpan.FromSeconds(30), default);
        await _client.PutAsync("/s/members/n1", "up", lease, default);

        await _client.RevokeLeaseAsync(lease, default);
        await _client.RevokeLeaseAsync(lease, default);

        Assert.Null(await _client.GetAsync("/s/members/n1", default));
        var error = await Assert.ThrowsAsync<EtcdException>(() => _client.PutAsync("/s/members/n1", "up", lease, default));
        Assert.Equal(5, error.Code);
        Assert.False(error.IsUnavailable);
    }

    [Fact]
    public async Task A_watch_sees_puts_and_deletes_in_order_from_the_revision_asked_for()
    {
        var (_, revision) = await _client.GetPrefixAsync("/s/", default);
        await _client.PutAsync("/s/leader", "node1", 0, default); // before the watch starts, after the revision
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var seen = new List<EtcdWatchEvent>();
        var watching = Task.Run(async () =>
        {
            await foreach (var e in _client.WatchAsync("/s/", prefix: true, revision + 1, stop.Token))
            {
                seen.Add(e);
                if (seen.Count == 3)
                    return;
            }
        });
        await Task.Delay(300);
        await _client.DeleteAsync("/s/leader", default);
        await _client.PutAsync("/s/leader", "node2", 0, default);
        await _client.PutAsync("/t/unrelated", "x", 0, default);

        await watching.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([(false, "node1"), (true, ""), (false, "node2")], seen.Select(e => (e.IsDelete, e.Value)));
        Assert.All(seen, e => Assert.Equal("/s/leader", e.Key));
    }

    [Fact]
    public void Prefix_ends_cover_exactly_the_keys_under_the_prefix()
    {
        Assert.Equal("/s0"u8.ToArray(), EtcdClient.PrefixEnd("/s/"u8.ToArray()));
        Assert.Equal(new byte[] { 0x62 }, EtcdClient.PrefixEnd([0x61, 0xFF]));
        Assert.Equal(new byte[] { 0 }, EtcdClient.PrefixEnd([0xFF]));
    }
}
