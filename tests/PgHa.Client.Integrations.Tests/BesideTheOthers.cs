using Xunit;

// Test classes without a collection of their own run in the assembly's one collection, one test at a time: the
// real-cluster timing tests must not compete for the machine's cores. The named collections (the shared clusters,
// whose tests are light, and BesideTheOthers) run beside it.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerAssembly)]

namespace PgHa.Client.Integrations.Tests;

/// <summary>Long tests that spend their time waiting on processes of their own, run beside the assembly's one collection.</summary>
[CollectionDefinition(Name)]
public sealed class BesideTheOthers
{
    public const string Name = "Beside the others";
}
