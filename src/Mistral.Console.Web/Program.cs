using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Features;
using Mistral.Console.Jobs;
using Mistral.Console.Web.Api;
using Mistral.Console.Web.Audit;
using Mistral.Console.Web.Auth;
using Mistral.Console.Web.Components;
using Mistral.Console.Web.Environments;
using Mistral.Console.Web.Hosting;
using Mistral.Console.Web.Live;
using Mistral.Console.Jobs.Engine;

var builder = WebApplication.CreateBuilder(args);

// Serve wwwroot from the build output in every environment (dotnet run, tests), not only in
// Development; a published app has no static web assets manifest and this does nothing.
builder.WebHost.UseStaticWebAssets();

// Requests carry at most a private key (16 kB) and a few short fields; 1 MB leaves room and stops
// anyone from streaming megabytes into a form. Fields past the Core limits get field messages.
const long MaxRequestBody = 1024 * 1024;
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = MaxRequestBody);
builder.Services.Configure<FormOptions>(o =>
{
    o.MultipartBodyLengthLimit = MaxRequestBody;
    o.ValueLengthLimit = 256 * 1024;
});

builder.Services.AddMistralConsoleCore(builder.Configuration);
builder.Services.AddConsoleAuth(builder.Configuration);
builder.Services.AddSingleton<AuditLog>();
builder.Services.AddHostedService<StartupTasks>();
// The deployment engine (Quartz, SSH, runner) announces to the live hub, which feeds the SSE streams.
builder.Services.AddSingleton<LiveHub>();
builder.Services.AddSingleton<IDeploymentEventSink>(sp => sp.GetRequiredService<LiveHub>());
builder.Services.AddDeploymentEngine(builder.Configuration);
builder.Services.AddSingleton<Mistral.Console.Web.Deployments.DeploymentViews>();
builder.Services.AddSingleton<Mistral.Console.Web.Deployments.DeploymentStateRenderer>();

builder.Services.AddRazorComponents();
builder.Services.AddAntiforgery();
builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
builder.Services.ConfigureHttpJsonOptions(o =>
{
    o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
    o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
});
// Binding failures (malformed JSON) become exceptions that BadRequestExceptionHandler answers
// with a problem naming the member, in every environment alike.
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
builder.Services.AddOpenApi();

var app = builder.Build();
// The live hub renders deployment pages' state fragments through the web's components.
Mistral.Console.Web.Deployments.DeploymentStateRenderer.Attach(app.Services);

app.UseExceptionHandler();
app.UseSecurityHeaders();
// Empty 4xx answers from /api (401, 403, 404, 405) get a problem-details body.
app.UseWhen(ctx => AuthSetup.IsApiPath(ctx.Request.Path), api => api.UseStatusCodePages());

app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();

app.MapStaticAssets().AllowAnonymous();
app.MapHealth();
app.MapSignOut();
app.MapEnvironmentFragments();
Mistral.Console.Web.Deployments.DeploymentFragments.MapDeploymentFragments(app);
app.MapLive();
app.MapOpenApi();

app.MapGroup("/api")
    .RequireAuthorization(Policies.AdminForWrites)
    .AddEndpointFilter<CookieAntiforgeryFilter>()
    .AddEndpointFilter<ValidationProblemFilter>()
    .MapEnvironmentApi()
    .MapDeploymentApi()
    .MapAccountApi();

// Pages: GET for every signed-in user, form POSTs for admins (plus [SelfService] pages).
app.MapRazorComponents<App>().RequireAuthorization(Policies.AdminForWrites);

app.Run();

/// <summary>Visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
