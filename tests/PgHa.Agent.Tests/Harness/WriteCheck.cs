using PgHa.Testing;
namespace PgHa.Agent.Tests.Harness;

/// <summary>After a fault: every acknowledged write is on the new leader, and nothing is there twice (the primary key guarantees that).</summary>
internal static class WriteCheck
{
    public static async Task<IReadOnlyList<long>> MissingAsync(AgentNode leader, Writer writer)
    {
        var present = new HashSet<long>();
        await using var connection = new Npgsql.NpgsqlConnection(leader.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT id FROM writes", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            present.Add(reader.GetInt64(0));
        return writer.Acknowledged.Select(a => a.Id).Where(id => !present.Contains(id)).ToList();
    }
}
