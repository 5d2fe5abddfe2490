// A minimal API over EF Core on a PgHa cluster: writes go to the primary and survive a failover, reads go to
// lag-bounded replicas, and each client sees its own writes (read-your-writes middleware). Point
// PgHa:ConnectionString at your nodes (samples/agent/run-local.sh starts a matching local cluster).
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using PgHa.Client;
using PgHa.Samples.WebApi;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddPgHa(builder.Configuration.GetSection("PgHa"));
builder.Services.AddHealthChecks().AddPgHa(tags: ["ready"]);
// The request's PgHaSession carries the client's consistency token (set by the middleware below) into EF Core.
builder.Services.AddDbContext<NotesDb>((services, options) =>
    options.UsePgHa(services.GetRequiredService<PgHaDataSource>(), session: services.GetRequiredService<PgHaSession>()));

var app = builder.Build();
app.UsePgHaReadYourWrites();

app.MapPost("/notes", async (NewNote body, NotesDb db, CancellationToken ct) =>
{
    if (string.IsNullOrWhiteSpace(body.Text) || body.Text.Length > 500)
        return Results.ValidationProblem(new Dictionary<string, string[]> { ["text"] = ["1 to 500 characters."] });
    var note = new Note { Text = body.Text };
    db.Notes.Add(note);
    await db.SaveChangesAsync(ct); // on the primary; retried across a failover without a duplicate
    return Results.Created($"/notes/{note.Id}", new { note.Id });
});

app.MapGet("/notes/{id:long}", async (long id, NotesDb db, CancellationToken ct) =>
{
    using (db.ReadFromReplica()) // a lag-bounded replica that has this client's writes, else the primary
        return await db.Notes.AsNoTracking().FirstOrDefaultAsync(n => n.Id == id, ct) is { } note ? Results.Ok(note) : Results.NotFound();
});

app.MapGet("/notes", async (NotesDb db, CancellationToken ct) =>
{
    using (db.ReadFromReplica())
        return Results.Ok(new { count = await db.Notes.CountAsync(ct) });
});

app.MapGet("/topology", (PgHaDataSource dataSource) => Results.Text(dataSource.Topology.ToString()));
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });

await using (var scope = app.Services.CreateAsyncScope())
    await scope.ServiceProvider.GetRequiredService<NotesDb>().Database.ExecuteSqlRawAsync(NotesDb.Schema);

await app.RunAsync();

/// <summary>The body of POST /notes.</summary>
public sealed record NewNote(string Text);

/// <summary>Visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
