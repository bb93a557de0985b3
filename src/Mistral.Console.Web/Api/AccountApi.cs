using System.Security.Claims;
using Mistral.Console.Web.Audit;
using Mistral.Console.Web.Auth;

namespace Mistral.Console.Web.Api;

/// <summary>/api/auth (tokens), /api/account (self-service), /api/users (admin), /api/audit.</summary>
public static class AccountApi
{
    public static RouteGroupBuilder MapAccountApi(this RouteGroupBuilder api)
    {
        var auth = api.MapGroup("/auth").WithTags("Authentication");

        // The one anonymous API call: trade a user name and password for a bearer token.
        // Lock-out applies exactly as on the sign-in page.
        auth.MapPost("/token", async (TokenRequest body, AccountService accounts, CancellationToken ct) =>
        {
            var user = await accounts.SignInAsync(body.Username, body.Password, ct);
            if (user is null)
                return TypedResults.Problem(title: AccountService.SignInFailedMessage, statusCode: StatusCodes.Status401Unauthorized);
            var (token, expiresAt) = await accounts.IssueTokenAsync(user, ct);
            return Results.Ok(new TokenResponse(token, expiresAt));
        }).AllowAnonymous();

        // Revokes the token this request was made with.
        auth.MapDelete("/token", async (ClaimsPrincipal user, AccountService accounts, CancellationToken ct) =>
        {
            if (!long.TryParse(user.FindFirstValue(Principals.TokenIdClaim), out var tokenId))
                return ApiResults.Invalid("token", "This request was not made with a bearer token.");
            await accounts.RevokeTokenAsync(user, tokenId, ct);
            return Results.NoContent();
        }).WithMetadata(new SelfServiceAttribute());

        api.MapGet("/account", async (ClaimsPrincipal user, UserStore users, TimeProvider clock, CancellationToken ct) =>
            AccountService.ActorId(user) is { } id && await users.FindByIdAsync(id, ct) is { } u
                ? Results.Ok(ToDto(u, clock.GetUtcNow()))
                : Results.Unauthorized()).WithTags("Account");

        api.MapPut("/account/password", async (PasswordBody body, ClaimsPrincipal user, AccountService accounts, CancellationToken ct) =>
        {
            if (AccountService.ActorId(user) is not { } id || !await accounts.ChangePasswordAsync(user, id, body.CurrentPassword, body.NewPassword, ct))
                return Results.Unauthorized();
            return Results.NoContent();
        }).WithTags("Account").WithMetadata(new SelfServiceAttribute());

        var users = api.MapGroup("/users").WithTags("Users").RequireAuthorization(Policies.Admin);

        users.MapGet("/", async (UserStore store, TimeProvider clock, CancellationToken ct) =>
            (await store.ListAsync(ct)).Select(u => ToDto(u, clock.GetUtcNow())).ToList());

        users.MapPost("/", async (NewUserBody body, ClaimsPrincipal user, AccountService accounts, TimeProvider clock, CancellationToken ct) =>
        {
            var created = await accounts.CreateUserAsync(user, body.Username, body.Role, body.Password, ct);
            return Results.Created($"/api/users/{created.Id}", ToDto(created, clock.GetUtcNow()));
        });

        users.MapDelete("/{userId:long}", async (long userId, ClaimsPrincipal user, AccountService accounts, CancellationToken ct) =>
            await accounts.DeleteUserAsync(user, userId, ct) ? Results.NoContent() : UserNotFound(userId));

        users.MapPut("/{userId:long}/password", async (long userId, PasswordBody body, ClaimsPrincipal user, AccountService accounts, CancellationToken ct) =>
            await accounts.ChangePasswordAsync(user, userId, body.CurrentPassword, body.NewPassword, ct) ? Results.NoContent() : UserNotFound(userId));

        users.MapDelete("/{userId:long}/tokens", async (long userId, ClaimsPrincipal user, AccountService accounts, CancellationToken ct) =>
            await accounts.RevokeAllTokensAsync(user, userId, ct) is { } count ? Results.Ok(new { revoked = count }) : UserNotFound(userId));

        api.MapGet("/audit", async (int? limit, AuditLog audit, CancellationToken ct) =>
            (await audit.RecentAsync(limit ?? 100, ct)).Select(e => new AuditEventDto(e.Id, e.At, e.Username, e.Action, e.Target)).ToList())
            .WithTags("Audit");
        return api;
    }

    private static UserDto ToDto(ConsoleUser u, DateTimeOffset now) => new(u.Id, u.Username, u.Role, u.LockedUntil > now, u.CreatedAt);

    private static IResult UserNotFound(long id) => ApiResults.NotFound($"User {id} does not exist.");
}
