using System.Text;
using System.Text.RegularExpressions;
using Mistral.Console.Core.Environments;
using Mistral.Console.Core.Settings;

namespace Mistral.Console.Core.Catalog;

/// <summary>
/// Turns a task into the script sent to a node. User-controlled values never get spliced into
/// script text: they become shell variables in a preamble, each single-quoted, and the catalog's
/// scripts use them as "$VAR". So a node named `$(reboot)` or a password with quotes is inert.
/// The whole script travels on stdin, so none of this reaches a process's argv.
/// </summary>
public static partial class ScriptRenderer
{
    /// <summary>POSIX single-quoting: safe for any string, including quotes and newlines.</summary>
    public static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''") + "'";

    public static string Render(TaskCatalog catalog, TaskDefinition task, IReadOnlyDictionary<string, string> variables)
    {
        var sb = new StringBuilder();
        sb.Append("#!/bin/bash\n# task ").Append(task.Id).Append('\n');
        sb.Append("set -euo pipefail\n");
        foreach (var (name, value) in variables.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            if (!VariableName().IsMatch(name)) throw new ArgumentException($"Invalid variable name '{name}'.");
            sb.Append(name).Append('=').Append(ShellQuote(value)).Append('\n');
        }
        if (catalog.Prelude.Length > 0) sb.Append(catalog.Prelude).Append('\n');
        sb.Append(task.Script);
        if (!task.Script.EndsWith('\n')) sb.Append('\n');
        return sb.ToString();
    }

    /// <summary>
    /// The variables every task can use: facts of the node it runs on, of the environment, and
    /// the plugin settings (secrets included: they reach the node only inside the script on stdin).
    /// </summary>
    public static IReadOnlyDictionary<string, string> Variables(
        CloudEnvironment env, IReadOnlyCollection<Node> nodes, MistralSettings settings, Node node, long deploymentId)
    {
        var resolved = settings.Resolve(nodes);
        var controllers = nodes.Where(n => n.IsController).OrderBy(n => n.Id).ToList();
        var mistralNodes = nodes.Where(n => n.IsMistral).OrderBy(n => n.Id).ToList();
        var primary = nodes.FirstOrDefault(n => n.IsPrimary);
        return new Dictionary<string, string>
        {
            ["MC_ENVIRONMENT"] = env.Name,
            ["MC_DEPLOYMENT_ID"] = deploymentId.ToString(),
            ["NODE_NAME"] = node.Name,
            ["NODE_ADDRESS"] = node.Address,
            ["NODE_ROLES"] = string.Join(' ', node.Roles),
            ["NODE_IS_PRIMARY"] = node.IsPrimary ? "1" : "0",
            ["EXECUTOR_HOST"] = node.ExecutorHost ?? "",
            ["PRIMARY_ADDRESS"] = primary?.Address ?? "",
            ["CONTROLLER_NAMES"] = string.Join(' ', controllers.Select(n => n.Name)),
            ["CONTROLLER_ADDRESSES"] = string.Join(' ', controllers.Select(n => n.Address)),
            ["MISTRAL_NODE_ADDRESSES"] = string.Join(' ', mistralNodes.Select(n => n.Address)),
            ["MGMT_VIP"] = resolved.ManagementVip ?? "",
            ["PUBLIC_VIP"] = resolved.PublicVip ?? "",
            ["DB_HOST"] = resolved.DatabaseHost ?? "",
            ["KEYSTONE_URL"] = resolved.KeystoneUrl ?? "",
            ["RABBIT_HOSTS"] = string.Join(',', resolved.RabbitHosts),
            ["MISTRAL_API_PORT"] = settings.ApiPort.ToString(),
            ["KEYSTONE_REGION"] = settings.KeystoneRegion,
            ["SERVICE_PROJECT"] = settings.ServiceProject,
            ["AUTH_MODE"] = settings.AuthMode == AuthMode.Keystone ? "keystone" : "none",
            ["DEBUG"] = settings.Debug ? "true" : "false",
            ["ADMIN_SOURCE"] = settings.AdminSource == AdminCredentialSource.Openrc ? "openrc" : "explicit",
            ["OPENRC_PATH"] = settings.OpenrcPath,
            ["ADMIN_AUTH_URL"] = settings.AdminAuthUrl ?? "",
            ["ADMIN_USER"] = settings.AdminUser ?? "",
            ["ADMIN_PASSWORD"] = settings.AdminPassword ?? "",
            ["ADMIN_PROJECT"] = settings.AdminProject ?? "",
            ["DB_PASSWORD"] = settings.DbPassword ?? "",
            ["KEYSTONE_PASSWORD"] = settings.KeystonePassword ?? "",
            ["RABBIT_PASSWORD"] = settings.RabbitPassword ?? "",
        };
    }

    [GeneratedRegex("^[A-Z_][A-Z0-9_]*$")]
    private static partial Regex VariableName();
}
