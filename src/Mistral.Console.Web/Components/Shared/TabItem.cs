namespace Mistral.Console.Web.Components.Shared;

/// <summary>One tab of a <see cref="TabStrip"/>: a link, so each tab is its own page and URL.</summary>
public sealed record TabItem(string Key, string Title, string Href, string? Icon = null);

/// <summary>One step of the breadcrumb trail; the last one has no link.</summary>
public sealed record Crumb(string Title, string? Href = null);
