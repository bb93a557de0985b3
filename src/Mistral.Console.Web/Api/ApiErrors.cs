using System.Text.Json;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Diagnostics;
using Mistral.Console.Core.Validation;
using Mistral.Console.Web.Auth;

namespace Mistral.Console.Web.Api;

public static class ApiResults
{
    public static IResult NotFound(string detail) =>
        TypedResults.Problem(title: "Not found", detail: detail, statusCode: StatusCodes.Status404NotFound);

    public static IResult Invalid(ValidationReport report) =>
        TypedResults.ValidationProblem(report.ErrorsByField(), title: "The input is invalid.");

    public static IResult Invalid(string field, string message) => Invalid(new ValidationReport().Error(field, message));
}

/// <summary>Turns Core's <see cref="ValidationFailedException"/> into a 400 problem naming each field.</summary>
public sealed class ValidationProblemFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (ValidationFailedException ex)
        {
            return ApiResults.Invalid(ex.Report);
        }
    }
}

/// <summary>
/// A browser sends its cookie with any request, also one forged by another site; so an /api call
/// that changes something and was authenticated by the cookie must carry the antiforgery token
/// (header RequestVerificationToken, as htmx sends it). Bearer calls are exempt: no browser adds
/// that header by itself.
/// </summary>
public sealed class CookieAntiforgeryFilter(IAntiforgery antiforgery) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var method = http.Request.Method;
        var unsafeMethod = !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method));
        if (unsafeMethod && http.User.Identity is { IsAuthenticated: true, AuthenticationType: AuthSetup.CookieScheme })
        {
            try
            {
                await antiforgery.ValidateRequestAsync(http);
            }
            catch (AntiforgeryValidationException)
            {
                return TypedResults.Problem(
                    title: "Missing or invalid antiforgery token",
                    detail: "A cookie-authenticated request that changes something must send the RequestVerificationToken header; scripts should use a bearer token.",
                    statusCode: StatusCodes.Status400BadRequest);
            }
        }
        return await next(context);
    }
}

/// <summary>
/// For browser-only endpoints without form binding (sign-out, htmx POSTs): the antiforgery
/// middleware only records its verdict; minimal endpoints that bind no form never look at it,
/// so this filter does.
/// </summary>
public sealed class AntiforgeryRequiredFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        // Set by UseAntiforgery for endpoints with RequireAntiforgeryTokenAttribute; missing means
        // the endpoint lacks that metadata, which is a bug: refuse rather than skip the check.
        var verdict = context.HttpContext.Features.Get<IAntiforgeryValidationFeature>();
        if (verdict is not { IsValid: true }) return Results.BadRequest();
        return await next(context);
    }
}

/// <summary>
/// Malformed request bodies (bad JSON, a string where a number belongs, an unknown enum value, a
/// body over the size limit) answer 400/413 problem details, naming the JSON member when known,
/// never a 500. The offending value is not echoed: it might be a secret.
/// </summary>
public sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (exception is not BadHttpRequestException bad) return false;
        var json = FindJsonException(bad);
        http.Response.StatusCode = bad.StatusCode;
        var problem = new HttpValidationProblemDetails
        {
            Status = bad.StatusCode,
            Title = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "The request body is too large." : "The request body could not be read.",
            Detail = json is null ? "Send a JSON object with the documented members." : "The JSON is malformed or a member has the wrong type.",
        };
        if (json?.Path is { Length: > 2 } path)
        {
            var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;
            var bracket = field.IndexOf('[', StringComparison.Ordinal);
            if (bracket > 0) field = field[..bracket];
            problem.Errors[field] = ["This value has the wrong type or format."];
        }
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem, Exception = null });
    }

    private static JsonException? FindJsonException(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is JsonException j) return j;
        return null;
    }
}
