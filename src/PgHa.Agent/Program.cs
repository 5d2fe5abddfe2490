using PgHa.Agent.Ctl;
using PgHa.Agent.Fencing;
using PgHa.Agent.Hosting;

// pgha-agent [--config file.json] [--PgHa:Agent:Name=n1 ...]   run the agent
// pgha-agent ctl <list|switchover|failover|pause|resume|history> ...   operate a cluster
// pgha-agent watchdog <data directory>   (started by the agent itself: see FenceWatchdog)
return args switch
{
    ["watchdog", var dataDirectory] => await FenceWatchdog.RunAsync(dataDirectory).ConfigureAwait(false),
    ["ctl", .. var rest] => await CtlCommand.RunAsync(rest).ConfigureAwait(false),
    _ => await AgentHost.RunAsync(args).ConfigureAwait(false),
};
