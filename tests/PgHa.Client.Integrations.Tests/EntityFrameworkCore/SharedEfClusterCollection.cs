using Xunit;

namespace PgHa.Client.Integrations.Tests.EntityFrameworkCore;

/// <summary>The test classes that share <see cref="SharedEfCluster"/>.</summary>
[CollectionDefinition(Name)]
public sealed class SharedEfClusterCollection : ICollectionFixture<SharedEfCluster>
{
    public const string Name = "EF Core, shared cluster";
}
