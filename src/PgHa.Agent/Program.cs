// PgHa.Agent is being built (issue 4). What exists so far: the etcd v3 client (Dcs/Etcd). The HA loop, the
// PostgreSQL controls, the REST API and the ctl verbs are not written yet, so the agent refuses to run rather
// than pretend to keep a cluster available.
Console.Error.WriteLine("pgha-agent: not usable yet (issue 4 is in progress: only the etcd client exists).");
return 2;
