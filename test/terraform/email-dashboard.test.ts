// The SES identity, its bounce/complaint topic and the data-tier dashboard (modules/email,
// modules/dashboard), checked on the parsed HCL of every environment: DKIM on, the topic
// encrypted and publishable by SES of this configuration set only, the sender limited to sending,
// and a dashboard showing each metric the runbooks point to.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { instances, loadTerraform, type TerraformConfig } from "./hcl.ts";
import { policies } from "./policies.ts";

const root = join(import.meta.dirname, "../../terraform");
let config: TerraformConfig;

beforeAll(async () => {
  config = await loadTerraform(root);
});

const perEnvironment = (type: string) => {
  const found = instances(config, type);
  expect(new Set(found.map((r) => r.env))).toEqual(new Set(["dev", "staging", "prod"]));
  return found;
};

describe("SES email identity", () => {
  it("signs with Easy DKIM (2048-bit) and applies the configuration set to everything it sends", () => {
    for (const identity of perEnvironment("aws_sesv2_email_identity")) {
      expect(identity.get("dkim_signing_attributes.next_signing_key_length"), identity.address).toBe("RSA_2048_BIT");
      expect(identity.get("dkim_signing_attributes.domain_signing_private_key"), identity.address).toBeUndefined();
      expect(identity.text).toContain(
        "configuration_set_name = aws_sesv2_configuration_set.this.configuration_set_name",
      );
    }
    for (const env of Object.values(config.environments)) {
      expect(env.text).toContain('output "ses_dkim_records"');
    }
  });

  it("requires TLS and sends bounces and complaints, and only those, to the topic", () => {
    for (const set of perEnvironment("aws_sesv2_configuration_set")) {
      expect(set.get("delivery_options.tls_policy"), set.address).toBe("REQUIRE");
    }
    for (const destination of perEnvironment("aws_sesv2_configuration_set_event_destination")) {
      expect(destination.get("event_destination.enabled")).toBe(true);
      expect([...(destination.get("event_destination.matching_event_types") as string[])].sort()).toEqual([
        "BOUNCE",
        "COMPLAINT",
      ]);
      expect(destination.text).toContain("topic_arn = aws_sns_topic.email_events.arn");
    }
  });
});

describe("bounce and complaint topic", () => {
  it("is encrypted with the operations key, which SES may use", () => {
    const topic = perEnvironment("aws_sns_topic").filter((r) => r.name === "email_events");
    expect(topic).toHaveLength(3);
    for (const t of topic) expect(t.get("kms_master_key_id"), t.address).toBe("${module.operations_key.key_arn}");
    const key = config.environments.prod!.calls.find((c) => c.name === "operations_key")!;
    expect(key.args.service_principals).toContain("ses.amazonaws.com");
    expect(policies.find((p) => p.id === "CKV_AWS_26")!.check(config)).toEqual([]);
  });

  it("lets only SES of this account and this configuration set publish, nothing else", () => {
    for (const policy of perEnvironment("aws_sns_topic_policy").filter((r) => r.name === "email_events")) {
      const text = policy.text;
      expect([...text.matchAll(/Sid\s*=/g)]).toHaveLength(1);
      expect(text).toMatch(/Principal\s*=\s*\{\s*Service\s*=\s*"ses\.amazonaws\.com"\s*\}/);
      expect(text).toMatch(/Action\s*=\s*"sns:Publish"/);
      expect(text).toMatch(/Resource\s*=\s*aws_sns_topic\.email_events\.arn/);
      expect(text).toMatch(/"aws:SourceAccount"\s*=\s*local\.account_id/);
      expect(text).toMatch(/"aws:SourceArn"\s*=\s*local\.configuration_set_arn/);
      expect(policy.module.text).toMatch(/configuration-set\/\$\{var\.name\}-email"/);
    }
  });

  it("delivers over HTTPS to the Worker's notification route, confirmed by the Worker", () => {
    for (const sub of perEnvironment("aws_sns_topic_subscription").filter((r) => r.name === "worker")) {
      expect(sub.get("protocol")).toBe("https");
      expect(sub.get("endpoint_auto_confirms")).toBe(false);
    }
    const call = config.environments.prod!.calls.find((c) => c.name === "email")!;
    expect(call.args.notifications_url).toBe("${var.api_base_url}/v1/email/ses-notifications");
  });

  it("gives the sender ses:SendEmail on its identity only, through a group", () => {
    const module = config.modules.email!;
    const policy = module.resources.aws_iam_group_policy!.send_only!;
    expect(JSON.stringify(policy)).toContain("ses:SendEmail");
    expect(module.text).toMatch(/Action\s*=\s*\["ses:SendEmail"\]\s*\n\s*Resource\s*=\s*\[aws_sesv2_email_identity/);
    expect(module.resources.aws_iam_user_policy).toBeUndefined();
    expect(module.resources.aws_iam_access_key).toBeUndefined();
  });
});

describe("data-tier dashboard", () => {
  it("shows Aurora CPU, connections and memory, RDS Proxy connections, ws-proxy CPU/memory and ALB 5xx", () => {
    const text = config.modules.dashboard!.text;
    for (const metric of [
      /"AWS\/RDS", "CPUUtilization", "DBClusterIdentifier"/,
      /"AWS\/RDS", "DatabaseConnections", "DBClusterIdentifier"/,
      /"AWS\/RDS", "FreeableMemory", "DBClusterIdentifier"/,
      /"AWS\/RDS", "ClientConnections", "ProxyName"/,
      /"AWS\/RDS", "DatabaseConnections", "ProxyName"/,
      /"AWS\/ECS", "CPUUtilization", "ClusterName"/,
      /"AWS\/ECS", "MemoryUtilization", "ClusterName"/,
      /"AWS\/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer"/,
      /"AWS\/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer"/,
    ])
      expect(text).toMatch(metric);
    for (const dashboard of perEnvironment("aws_cloudwatch_dashboard")) {
      expect(dashboard.get("dashboard_name")).toBe("${var.name}-data-tier");
    }
    const call = config.environments.staging!.calls.find((c) => c.name === "dashboard")!;
    expect(call.args).toMatchObject({
      cluster_id: "${module.database.cluster_id}",
      proxy_name: "${module.db_proxy.name}",
      ecs_service_name: "${module.ws_proxy.ecs_service_name}",
    });
  });
});
