namespace SwUpgradeFunc.Notifications;

/// <summary>One violation of the push contract, naming the offending field.</summary>
public sealed record FieldError(string Field, string Problem);
