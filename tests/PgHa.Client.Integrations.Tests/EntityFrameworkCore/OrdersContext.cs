using Microsoft.EntityFrameworkCore;

namespace PgHa.Client.Integrations.Tests.EntityFrameworkCore;

/// <summary>The small model the EF tests use: <c>orders(id identity, text)</c>.</summary>
public sealed class OrdersContext(DbContextOptions<OrdersContext> options) : DbContext(options)
{
    public DbSet<Order> Orders => Set<Order>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
        => modelBuilder.Entity<Order>(order =>
        {
            order.ToTable("orders");
            order.Property(o => o.Id).HasColumnName("id");
            order.Property(o => o.Text).HasColumnName("text");
        });
}
