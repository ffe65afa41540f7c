import * as path from "node:path";
import type { Command } from "commander";
import {
  APP_DEFAULT_CONFIG,
  CONFIG_CONTEXT,
  cdkContext,
  cdkContextString,
  FALLBACK_STACK_NAME,
  STACK_NAME_CONTEXT,
  TARGET_CONTEXTS,
} from "./cdk-context";
import { UsageError } from "./errors";
import { loadConfig } from "./load-config";
import type { OperatorDeps } from "./operator";

interface ReloadOptions {
  readonly config?: string;
  readonly stack?: string;
  readonly json?: boolean;
}

/**
 * `cloudjail reload [jail]`: fail2ban-client's `reload` has no cloud equivalent: the configuration is part of the
 * deployed stack (the Lambdas' environment) and changes with `cdk deploy`. This says so, checks the file the deploy
 * would read with the rules synth applies (lambda/core/config-rules.ts, through load-config.ts), and prints the
 * command. It changes nothing and calls no AWS API: exit code 0, or 2 when the file would not deploy.
 */
export function registerReload(program: Command, deps?: Pick<OperatorDeps, "write">): void {
  const write = deps?.write ?? ((text: string) => process.stdout.write(text));
  program
    .command("reload")
    .description("explain how configuration changes deploy (cdk deploy), check the file, print the command")
    .argument("[jail]", "a jail of the file (its settings deploy with the others)")
    .option("--config <file>", "the configuration to deploy (default: cdk.json's cloudjail:config)")
    .option("--stack <name>", "the stack to deploy (default: cdk.json's cloudjail:stackName)")
    .option("--json", "print JSON")
    .action((jailName: string | undefined, options: ReloadOptions) => {
      const plan = deployPlan(options);
      const loaded = loadConfig(plan.configFile);
      const names = loaded.config.jails.map((jail) => jail.name);
      if (jailName !== undefined && !names.includes(jailName)) {
        throw new UsageError(
          `unknown jail "${jailName}": ${plan.configFile} has ${names.join(", ") || "none"}`,
        );
      }
      const { vpcIds, naclIds } = loaded.config.nacl;
      // The first deploy named them on the command line, or the file or cdk.json does.
      const targetsNamed = vpcIds.length + (naclIds ?? []).length > 0 || plan.targetsInCdkJson;
      const targetHint = targetsNamed
        ? []
        : [
            `Neither ${plan.configFile} nor cdk.json names the VPCs or NACLs to protect: add the`,
            "-c cloudjail:vpcIds=... (or cloudjail:naclIds=...) you deployed with.",
            "",
          ];
      const jails = loaded.config.jails.map((jail) => `${jail.name}${jail.enabled ? "" : " (disabled)"}`);
      if (options.json === true) {
        const json = {
          reloaded: false,
          config: plan.configFile,
          jails,
          warnings: loaded.warnings,
          command: plan.command,
          targetsNamed,
        };
        write(`${JSON.stringify(json)}\n`);
        return;
      }
      write(
        [
          `cloudjail has no server to reload: the configuration is part of the deployed stack (its Lambdas'`,
          "environment), so a change takes effect when the stack is deployed again.",
          "",
          ...loaded.warnings.map((warning) => `warning: ${warning}`),
          `${plan.configFile} is valid (jails: ${jails.join(", ")}). Deploy it (\`npx cdk diff\` shows the change first):`,
          "",
          `  ${plan.command}`,
          "",
          ...targetHint,
        ].join("\n"),
      );
    });
}

/** The file `cdk deploy` would read and the command that deploys it, from the options and cdk.json. */
export function deployPlan(
  options: Pick<ReloadOptions, "config" | "stack">,
  cwd: string = process.cwd(),
): { configFile: string; command: string; targetsInCdkJson: boolean } {
  const configured = cdkContextString(CONFIG_CONTEXT, cwd);
  const namedStack = cdkContextString(STACK_NAME_CONTEXT, cwd);
  // cdk runs where its cdk.json is, and reads a relative cloudjail:config from there.
  const appDir = configured?.dir ?? namedStack?.dir ?? path.resolve(__dirname, "../..");
  const appConfig = configured?.value ?? APP_DEFAULT_CONFIG;
  const appConfigFile = path.resolve(appDir, appConfig);
  const configFile = options.config ?? shortPath(cwd, appConfigFile);
  const context = [
    ...(options.stack !== undefined && options.stack !== (namedStack?.value ?? FALLBACK_STACK_NAME)
      ? [`-c ${STACK_NAME_CONTEXT}=${options.stack}`]
      : []),
    ...(options.config !== undefined && path.resolve(cwd, options.config) !== appConfigFile
      ? [`-c ${CONFIG_CONTEXT}=${path.relative(appDir, path.resolve(cwd, options.config))}`]
      : []),
  ];
  const cd = path.resolve(appDir) === path.resolve(cwd) ? "" : `cd ${shortPath(cwd, appDir)} && `;
  const targetsInCdkJson = TARGET_CONTEXTS.some(
    (key) => cdkContext(key, cwd, (value) => Array.isArray(value) && value.length > 0) !== undefined,
  );
  return { configFile, command: `${cd}${["npx cdk deploy", ...context].join(" ")}`, targetsInCdkJson };
}

/** `file` relative to `cwd` when it is below it, else absolute. */
function shortPath(cwd: string, file: string): string {
  const relative = path.relative(cwd, file);
  return relative === "" || relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}
