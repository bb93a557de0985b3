using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;

namespace Mistral.Console.Web.Auth;

public static class AuthSetup
{
    /// <summary>Picks the bearer scheme when an Authorization header is present, else the cookie.</summary>
    public const string PolicyScheme = "CookieOrBearer";
    public const string CookieScheme = CookieAuthenticationDefaults.AuthenticationScheme;
    public const string CookieName = "MistralConsole.Auth";

    public static bool IsApiPath(PathString path) =>
        path.StartsWithSegments("/api") || path.StartsWithSegments("/openapi");

    public static IServiceCollection AddConsoleAuth(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<AuthOptions>(configuration.GetSection(AuthOptions.Section));
        var authOptions = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        services.AddSingleton<UserStore>();
        services.AddSingleton<ApiTokenStore>();
        services.AddSingleton<AccountService>();

        services.AddAuthentication(o =>
            {
                o.DefaultScheme = PolicyScheme;
                o.DefaultChallengeScheme = PolicyScheme;
            })
            .AddPolicyScheme(PolicyScheme, "Cookie or bearer token", o =>
                o.ForwardDefaultSelector = ctx =>
                    ctx.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                        ? BearerTokenHandler.SchemeName
                        : CookieScheme)
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = CookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = authOptions.CookieLifetime;
                o.SlidingExpiration = true;
                o.LoginPath = "/signin";
                o.ReturnUrlParameter = "returnUrl";
                o.Events = new CookieAuthenticationEvents
                {
                    OnValidatePrincipal = ValidateStampAsync,
                    OnRedirectToLogin = ctx =>
                    {
                        if (IsApiPath(ctx.Request.Path)) ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
                        else if (ctx.Request.Headers.ContainsKey("HX-Request"))
                        {
                            // htmx follows a 302 silently and would swap the sign-in page into a fragment.
                            ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
                            ctx.Response.Headers["HX-Redirect"] = "/signin";
                        }
                        else ctx.Response.Redirect(ctx.RedirectUri);
                        return Task.CompletedTask;
                    },
                    // Signed in but not allowed: a plain 403, never a redirect loop.
                    OnRedirectToAccessDenied = ctx =>
                    {
                        ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
                        return Task.CompletedTask;
                    },
                };
            })
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, _ => { });

        services.AddSingleton<IAuthorizationHandler, AdminForWritesHandler>();
        services.AddAuthorizationBuilder()
            // Nothing is anonymous unless it says so (sign-in page, static assets, /healthz, token issue).
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(Policies.Admin, p => p.RequireAuthenticatedUser().RequireRole(UserRoles.Admin))
            .AddPolicy(Policies.AdminForWrites, p => p.RequireAuthenticatedUser().AddRequirements(new AdminForWritesRequirement()));
        return services;
    }

    /// <summary>
    /// Every request re-reads the user: a changed password (new stamp), a deleted user or a changed
    /// role ends the cookie session at once. One indexed lookup per request is cheap here.
    /// </summary>
    private static async Task ValidateStampAsync(CookieValidatePrincipalContext ctx)
    {
        var principal = ctx.Principal;
        var users = ctx.HttpContext.RequestServices.GetRequiredService<UserStore>();
        ConsoleUser? user = null;
        if (long.TryParse(principal?.FindFirstValue(ClaimTypes.NameIdentifier), out var id))
            user = await users.FindByIdAsync(id, ctx.HttpContext.RequestAborted);
        if (user is null
            || user.SecurityStamp != principal!.FindFirstValue(Principals.StampClaim)
            || !principal!.IsInRole(user.Role))
        {
            ctx.RejectPrincipal();
            await ctx.HttpContext.SignOutAsync(CookieScheme);
        }
    }
}

/// <summary>See <see cref="Policies.AdminForWrites"/>.</summary>
public sealed class AdminForWritesRequirement : IAuthorizationRequirement;

public sealed class AdminForWritesHandler : AuthorizationHandler<AdminForWritesRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, AdminForWritesRequirement requirement)
    {
        if (context.Resource is not HttpContext http) return Task.CompletedTask;
        var method = http.Request.Method;
        var read = HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method);
        if (read
            || http.GetEndpoint()?.Metadata.GetMetadata<SelfServiceAttribute>() is not null
            || context.User.IsInRole(UserRoles.Admin))
            context.Succeed(requirement);
        return Task.CompletedTask;
    }
}
