using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using PgHa.Agent.Dcs.Etcd;
using PgHa.Testing;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>The etcd client moving between the members of a real 3-member etcd cluster.</summary>
public sealed class EtcdFailoverTests : IAsyncLifetime
{
    private EtcdCluster _etcd = null!;

    public async Task InitializeAsync() => _etcd = await EtcdCluster.StartAsync(new EtcdClusterOptions { Members = 3 });

    public Task DisposeAsync() => _etcd.DisposeAsync().AsTask();

    [Theory]
    [InlineData("killed")]
    [InlineData("frozen")]
    public async Task Requests_move_to_another_member_when_the_current_one_fails(string fault)
    {
        using var client = Client(TimeSpan.FromMilliseconds(500));
        await client.PutAsync("/s/leader", "node1", 0, default);
        // Normally the first member; on a loaded machine a slow first answer may already have moved the client on.
        var current = _etcd.Members.Single(m => m.ClientUrl == client.CurrentEndpoint.ToString().TrimEnd('/'));

        if (fault == "killed")
            current.Kill();
        else
            current.Freeze();

        // While the others elect a new leader (if the dead member led) a read may fail everywhere for a moment;
        // the agent's loop simply asks again, and so does this test.
        var clock = Stopwatch.StartNew();
        KeyValue? leader;
        while (true)
        {
            try
            {
                leader = await client.GetAsync("/s/leader", default);
                break;
            }
            catch (EtcdException) when (clock.Elapsed < TimeSpan.FromSeconds(8))
            {
            }
        }

        Assert.Equal("node1", EtcdClient.Text(leader!.Value));
        // A 500 ms request timeout and an etcd election (1 s by default) if the lost member led: seconds, not the
        // minutes a client stuck on the lost member would take.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.NotEqual(current.ClientUrl, client.CurrentEndpoint.ToString().TrimEnd('/'));
        await client.PutAsync("/s/leader", "node2", 0, default); // the two others still form a quorum
        current.Thaw();
    }

    [Fact]
    public async Task With_no_member_answering_the_error_names_each_one()
    {
        using var client = Client(TimeSpan.FromMilliseconds(300));
        foreach (var member in _etcd.Members)
            member.Kill();

        var error = await Assert.ThrowsAsync<EtcdException>(() => client.GetAsync("/s/leader", default));

        Assert.True(error.IsUnavailable);
        Assert.All(_etcd.Members, m => Assert.Contains(m.ClientUrl, error.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_a_quorum_a_write_fails_rather_than_pretending_to_succeed()
    {
        using var client = Client(TimeSpan.FromMilliseconds(1000));
        _etcd.Members[1].Kill();
        _etcd.Members[2].Kill();

        await Assert.ThrowsAsync<EtcdException>(() => client.PutAsync("/s/leader", "node1", 0, default));
    }

    private EtcdClient Client(TimeSpan requestTimeout) => new(
        new EtcdClientOptions { Endpoints = _etcd.Endpoints.Select(e => new Uri(e)).ToList(), RequestTimeout = requestTimeout },
        NullLogger.Instance);
}
