using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Mistral.Console.Web.Audit;

namespace Mistral.Console.Web.Auth;

public static class SignOutEndpoint
{
    /// <summary>POST only, with the antiforgery token: a GET sign-out could be triggered by any image tag.</summary>
    public static IEndpointRouteBuilder MapSignOut(this IEndpointRouteBuilder app)
    {
        app.MapPost("/signout", async (HttpContext http, AuditLog audit) =>
        {
            await audit.WriteAsync(http.User, "signout", $"user {http.User.Identity?.Name}", http.RequestAborted);
            await http.SignOutAsync(AuthSetup.CookieScheme);
            return Results.Redirect("/signin");
        }).WithMetadata(new SelfServiceAttribute(), new RequireAntiforgeryTokenAttribute()).AddEndpointFilter<Mistral.Console.Web.Api.AntiforgeryRequiredFilter>().ExcludeFromDescription();
        return app;
    }
}
