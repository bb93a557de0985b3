using System.Security.Claims;

namespace Mistral.Console.Web.Auth;

/// <summary>The claims a signed-in user carries, for the cookie and bearer schemes alike.</summary>
public static class Principals
{
    public const string StampClaim = "mc:stamp";
    public const string TokenIdClaim = "mc:token";

    public static ClaimsPrincipal For(ConsoleUser user, string scheme, long? tokenId = null)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new(ClaimTypes.Name, user.Username),
            new(ClaimTypes.Role, user.Role),
            new(StampClaim, user.SecurityStamp),
        };
        if (tokenId is not null) claims.Add(new(TokenIdClaim, tokenId.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, ClaimTypes.Name, ClaimTypes.Role));
    }

    public static bool IsAdmin(this ClaimsPrincipal user) => user.IsInRole(UserRoles.Admin);
}
