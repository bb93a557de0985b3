using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Mistral.Console.Web.Auth;

namespace Mistral.Console.Web.Components.Pages;

/// <summary>What every page needs in static SSR: the request, the user, and a redirect after a POST.</summary>
public abstract class ConsolePage : ComponentBase
{
    [CascadingParameter] protected HttpContext HttpContext { get; set; } = default!;
    [Inject] protected NavigationManager Nav { get; set; } = default!;

    protected ClaimsPrincipal User => HttpContext.User;
    protected bool IsAdmin => User.IsAdmin();
    protected CancellationToken Aborted => HttpContext.RequestAborted;

    /// <summary>Post/redirect/get: a successful form POST ends with a redirect, so reload does not resubmit.</summary>
    protected void Redirect(string url) => Nav.NavigateTo(url);

    /// <summary>
    /// Defence in depth: the AdminForWrites policy already refuses non-admin POSTs to pages before
    /// they get here. Returns false (and sets 403) if the user is no admin after all.
    /// </summary>
    protected bool EnsureAdmin()
    {
        if (IsAdmin) return true;
        HttpContext.Response.StatusCode = StatusCodes.Status403Forbidden;
        return false;
    }

    protected void SetNotFound() => HttpContext.Response.StatusCode = StatusCodes.Status404NotFound;
}
