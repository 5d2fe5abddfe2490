using Xunit;

// Every test class of this assembly runs in one collection, one test at a time: the real-cluster timing tests must not
// compete for the machine's cores. Only classes of BesideTheOthers, which mostly wait, run beside them.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerAssembly)]

namespace PgHa.Client.IntegrationTests;

/// <summary>The collection of long tests that spend their time waiting, run beside the assembly's one collection.</summary>
[CollectionDefinition(Name)]
public sealed class BesideTheOthers
{
    public const string Name = "Beside the others";
}
