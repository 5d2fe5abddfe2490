using Microsoft.Extensions.Time.Testing;
using PgHa.Client.Resilience.Internal;
using Xunit;

namespace PgHa.Client.Tests;

/// <summary>The retry budget counts time spent waiting for the cluster, never the unit's own work.</summary>
public sealed class UnitBudgetTests
{
    private readonly FakeTimeProvider _time = new();

    private UnitState NewUnit(double budgetSeconds = 1) => new(TimeSpan.FromSeconds(budgetSeconds), isIdempotent: false, _time, options: null);

    [Fact]
    public void The_units_own_work_spends_none_of_the_budget()
    {
        var unit = NewUnit();

        _time.Advance(TimeSpan.FromSeconds(30)); // statements and COMMIT on a node that answers

        Assert.Equal(TimeSpan.FromSeconds(1), unit.Remaining);
        Assert.Equal(TimeSpan.FromSeconds(30), unit.Elapsed);
    }

    [Fact]
    public void Waiting_for_the_cluster_spends_it_while_the_wait_lasts_and_after()
    {
        var unit = NewUnit();

        unit.BeginWait();
        _time.Advance(TimeSpan.FromMilliseconds(300));
        Assert.Equal(TimeSpan.FromMilliseconds(700), unit.Remaining); // a wait in progress counts
        unit.EndWait();
        _time.Advance(TimeSpan.FromSeconds(10));
        unit.BeginWait();
        _time.Advance(TimeSpan.FromMilliseconds(900));
        unit.EndWait();

        Assert.Equal(TimeSpan.FromMilliseconds(-200), unit.Remaining);
        Assert.Equal(TimeSpan.FromMilliseconds(1200), unit.Waited);
    }

    [Fact]
    public void Nested_waits_count_once()
    {
        var unit = NewUnit();

        unit.BeginWait();
        _time.Advance(TimeSpan.FromMilliseconds(100));
        unit.BeginWait();
        _time.Advance(TimeSpan.FromMilliseconds(200));
        unit.EndWait();
        _time.Advance(TimeSpan.FromMilliseconds(100));
        unit.EndWait();

        Assert.Equal(TimeSpan.FromMilliseconds(400), unit.Waited);
    }
}
