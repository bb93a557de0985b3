using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Mistral.Console.Web.Components.Deployments;

namespace Mistral.Console.Web.Deployments;

/// <summary>
/// Renders a deployment's live state fragment outside any request, for the live hub: once per
/// coalesced change and role (admins get the action buttons, read-only viewers do not), shared by
/// every viewer of that role.
/// </summary>
public sealed class DeploymentStateRenderer(IServiceProvider services, ILoggerFactory loggers, DeploymentViews views)
{
    public async Task<string> RenderAsync(long deploymentId, bool admin, CancellationToken ct)
    {
        var view = await views.LoadAsync(deploymentId, ct);
        if (view is null) return "";
        await using var renderer = new HtmlRenderer(services, loggers);
        return await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var output = await renderer.RenderComponentAsync<DeploymentState>(ParameterView.FromDictionary(new Dictionary<string, object?>
            {
                [nameof(DeploymentState.View)] = view,
                [nameof(DeploymentState.IsAdmin)] = admin,
            }));
            return output.ToHtmlString();
        });
    }

    /// <summary>Wires the renderer into the hub (called once at start-up).</summary>
    public static void Attach(IServiceProvider services)
    {
        var hub = services.GetRequiredService<Live.LiveHub>();
        var renderer = services.GetRequiredService<DeploymentStateRenderer>();
        hub.StateRenderer = (id, ct) => renderer.RenderAsync(id, admin: true, ct);
        hub.ReadOnlyStateRenderer = (id, ct) => renderer.RenderAsync(id, admin: false, ct);
    }
}
