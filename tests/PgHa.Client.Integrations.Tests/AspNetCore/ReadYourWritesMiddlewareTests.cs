using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit;
using static PgHa.Client.IntegrationTests.ClusterHelpers;

namespace PgHa.Client.Integrations.Tests.AspNetCore;

public sealed class ReadYourWritesMiddlewareTests : OwnClusterTest
{
    private const string Header = "PgHa-Consistency-Token";

    [Fact]
    public async Task A_clients_token_comes_back_with_its_write_and_makes_its_next_read_see_it_on_stale_replicas()
    {
        await using var app = await StartAppAsync();
        var client = app.GetTestClient();
        await Node2.PauseReplayAsync();
        await Node3.PauseReplayAsync();

        var write = await client.PostAsync("/notes/7", null);
        write.EnsureSuccessStatusCode();
        var token = Assert.Single(write.Headers.GetValues(Header));
        Assert.True(PgHaConsistencyToken.TryParse(token, out _), token);
        var cookie = Assert.Single(write.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith($"pgha-token={Uri.EscapeDataString(token)};", cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);

        // Another client, without the token, reads a stale replica: the write is not there yet.
        Assert.False((await ReadAsync(client, headers: [])).Found);
        // The writer, by header or by cookie, sees it.
        Assert.True((await ReadAsync(client, [(Header, token)])).Found);
        Assert.True((await ReadAsync(client, [("Cookie", $"pgha-token={Uri.EscapeDataString(token)}")])).Found);

        // A request that writes nothing sends no token back; garbage in a token is ignored.
        var read = await SendAsync(client, [(Header, "not-a-token")]);
        Assert.False(read.Headers.Contains(Header));
        Assert.False(read.Headers.Contains("Set-Cookie"));

        await Node2.ResumeReplayAsync();
        await Node3.ResumeReplayAsync();
    }

    private async Task<WebApplication> StartAppAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddPgHa(Cluster.ConnectionString, o =>
        {
            o.MaxReplicaLag = TimeSpan.FromMinutes(1); // stale replicas stay eligible: the token alone must make the difference
            o.ReadYourWritesWait = TimeSpan.FromMilliseconds(100);
        });
        var app = builder.Build();
        app.UsePgHaReadYourWrites();
        app.MapPost("/notes/{id:int}", (int id, PgHaSession session, CancellationToken ct) => session.ExecuteWriteAsync(async (c, t, token) =>
        {
            await using var insert = new NpgsqlCommand("INSERT INTO notes VALUES ($1)", c, t) { Parameters = { new() { Value = id } } };
            await insert.ExecuteNonQueryAsync(token);
        }, cancellationToken: ct));
        app.MapGet("/notes/{id:int}", async (int id, PgHaSession session, CancellationToken ct) =>
        {
            await using var connection = await session.OpenReadConnectionAsync(cancellationToken: ct);
            await using var select = new NpgsqlCommand("SELECT EXISTS (SELECT FROM notes WHERE id = $1)", connection) { Parameters = { new() { Value = id } } };
            return new Note((bool)(await select.ExecuteScalarAsync(ct))!, connection.Port);
        });

        await Node1.ExecuteAsync("CREATE TABLE notes(id int PRIMARY KEY)");
        await Node2.WaitForReplayAsync(Node1, TimeSpan.FromSeconds(10));
        await Node3.WaitForReplayAsync(Node1, TimeSpan.FromSeconds(10));
        await app.StartAsync();
        await WaitForDiscoveryAsync(app.Services.GetRequiredService<PgHaDataSource>());
        return app;
    }

    private static async Task<Note> ReadAsync(HttpClient client, (string Name, string Value)[] headers)
        => (await (await SendAsync(client, headers)).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<Note>())!;

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/notes/7");
        foreach (var (name, value) in headers)
            request.Headers.TryAddWithoutValidation(name, value);
        return client.SendAsync(request);
    }

    private sealed record Note(bool Found, int Port);
}
