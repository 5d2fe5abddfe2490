using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Xunit;

namespace PgHa.Client.Integrations.Tests.Samples;

/// <summary>Boots samples/PgHa.Samples.WebApi against a real cluster and fails its primary over while it serves.</summary>
public sealed class WebApiSampleTests : OwnClusterTest
{
    [Fact]
    public async Task Every_request_succeeds_across_a_promotion_and_each_note_is_stored_once()
    {
        await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web => web
            .UseSetting("PgHa:ConnectionString", Cluster.ConnectionString)
            .UseSetting("PgHa:ClusterName", "webapi-sample"));
        var client = factory.CreateClient(); // keeps cookies: the read-your-writes token travels in one
        await EventuallyAsync(async () => (await client.GetAsync("/health/ready")).StatusCode, s => s == HttpStatusCode.OK);

        var failures = new ConcurrentQueue<string>();
        var posted = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var load = RunLoadAsync(client, posted, failures, stop.Token);

        await Task.Delay(TimeSpan.FromSeconds(1));
        var before = posted.Count;
        Node1.Kill();
        await Node2.PromoteAsync(wait: true);
        await Node3.FollowAsync(Node2);
        await EventuallyAsync(() => client.GetStringAsync("/topology"), t => t.Contains($"primary {Node2.Endpoint}", StringComparison.Ordinal));
        var atPromotion = posted.Count;
        await EventuallyAsync(() => Task.FromResult(posted.Count), n => n >= atPromotion + 20);
        await stop.CancelAsync();
        await load;

        Assert.True(failures.IsEmpty, string.Join(Environment.NewLine, failures));
        Assert.True(before > 0, "no note was written before the failover");
        var stored = await TextsAsync(Node2.ConnectionString);
        Assert.Equal(posted.Order(), stored.Order());
        Assert.Equal(posted.Count, (await client.GetFromJsonAsync<Count>("/notes"))!.count);
    }

    /// <summary>One client writing a note and reading it back, again and again; any non-success answer is a failure.</summary>
    private static async Task RunLoadAsync(HttpClient client, ConcurrentQueue<string> posted, ConcurrentQueue<string> failures, CancellationToken stop)
    {
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var text = $"note {i}";
            var created = await client.PostAsJsonAsync("/notes", new { text }, CancellationToken.None);
            if (created.StatusCode != HttpStatusCode.Created)
            {
                failures.Enqueue($"POST {text}: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
                continue;
            }

            posted.Enqueue(text);
            var id = (await created.Content.ReadFromJsonAsync<Created>())!.id;
            var read = await client.GetAsync($"/notes/{id}", CancellationToken.None);
            if (read.StatusCode != HttpStatusCode.OK)
                failures.Enqueue($"GET /notes/{id} after writing it: {(int)read.StatusCode} {await read.Content.ReadAsStringAsync()}");
        }
    }

    private static async Task<List<string>> TextsAsync(string connectionString)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT text FROM notes", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var texts = new List<string>();
        while (await reader.ReadAsync())
            texts.Add(reader.GetString(0));
        return texts;
    }

    private sealed record Created(long id);

    private sealed record Count(int count);
}
