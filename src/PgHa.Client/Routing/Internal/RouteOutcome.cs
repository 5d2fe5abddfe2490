namespace PgHa.Client.Routing.Internal;

/// <summary>What a routing decision says to do.</summary>
internal enum RouteOutcome
{
    /// <summary>Open a connection on the selected node.</summary>
    Selected,

    /// <summary>Nothing fits yet, but a later snapshot may (discovery running, failover under way): wait for a change.</summary>
    Wait,

    /// <summary>Nothing fits and waiting will not help (replica reads set to throw, or every node refuses our credentials).</summary>
    Fail,
}
