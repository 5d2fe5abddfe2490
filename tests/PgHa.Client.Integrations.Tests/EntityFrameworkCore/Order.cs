namespace PgHa.Client.Integrations.Tests.EntityFrameworkCore;

/// <summary>A row of <c>orders</c>.</summary>
public sealed class Order
{
    public long Id { get; set; }

    public string Text { get; set; } = "";
}
