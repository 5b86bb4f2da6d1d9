using System.Text.Json;
using Dapper;
using Npgsql;

namespace Telemedicina.IntegrationTests;

/// <summary>What PostgreSQL really did for a statement: its plan, run (EXPLAIN ANALYZE) inside a transaction that is rolled back.</summary>
internal static class QueryPlan
{
    /// <summary>Runs <paramref name="sql"/> under EXPLAIN (ANALYZE, FORMAT JSON), undoes what it wrote, and returns the plan.</summary>
    public static async Task<JsonElement> AnalyzeAsync(NpgsqlConnection connection, string sql, object parameters, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        var plan = await connection.QuerySingleAsync<string>("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, parameters, tx);
        await tx.RollbackAsync(ct);
        return JsonDocument.Parse(plan).RootElement.Clone();
    }

    /// <summary>Rows of <paramref name="table"/> that the plan's scans read: those they returned and those they dropped, over every loop.</summary>
    public static long RowsRead(JsonElement node, string table)
    {
        var own = 0L;
        if (node.ValueKind == JsonValueKind.Object && node.TryGetProperty("Relation Name", out var relation) && relation.GetString() == table)
        {
            own = (node.GetProperty("Actual Rows").GetInt64() + Count(node, "Rows Removed by Filter") + Count(node, "Rows Removed by Index Recheck"))
                * node.GetProperty("Actual Loops").GetInt64();
        }

        var children = node.ValueKind switch
        {
            JsonValueKind.Array => node.EnumerateArray().ToList(),
            JsonValueKind.Object => node.EnumerateObject().Select(p => p.Value).ToList(),
            _ => [],
        };
        return own + children.Sum(child => RowsRead(child, table));

        static long Count(JsonElement node, string name) => node.TryGetProperty(name, out var value) ? value.GetInt64() : 0;
    }
}
