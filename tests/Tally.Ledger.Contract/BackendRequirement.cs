using Xunit.Abstractions;
using Xunit.Sdk;

namespace Tally.Ledger.Contract;

/// <summary>
/// Put on a test class whose backend may be missing on this machine (a PostgreSQL server, say):
/// when <see cref="SkipReason"/> is not null, every <see cref="LedgerFactAttribute"/> and
/// <see cref="LedgerTheoryAttribute"/> test of the class is reported as skipped with that reason.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public abstract class BackendRequirementAttribute : Attribute
{
    /// <summary>Why the backend cannot be tested here (one line, saying how to fix it), or null when it can.</summary>
    public abstract string? SkipReason { get; }

    internal static string? SkipReasonFor(ITestMethod method) =>
        method.TestClass.Class.ToRuntimeType() is { } type
        && Attribute.GetCustomAttribute(type, typeof(BackendRequirementAttribute), inherit: true) is BackendRequirementAttribute requirement
            ? requirement.SkipReason
            : null;
}

/// <summary>A contract fact: runs against each backend's derived class, skipped where its <see cref="BackendRequirementAttribute"/> says so.</summary>
[XunitTestCaseDiscoverer("Tally.Ledger.Contract.LedgerFactDiscoverer", "Tally.Ledger.Contract")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class LedgerFactAttribute : FactAttribute;

/// <summary>A contract theory: runs against each backend's derived class, skipped where its <see cref="BackendRequirementAttribute"/> says so.</summary>
[XunitTestCaseDiscoverer("Tally.Ledger.Contract.LedgerTheoryDiscoverer", "Tally.Ledger.Contract")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class LedgerTheoryAttribute : TheoryAttribute;

/// <summary>Discovers <see cref="LedgerFactAttribute"/> tests (xunit 2 has no dynamic skip; a discoverer can decide per class).</summary>
public sealed class LedgerFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    /// <inheritdoc />
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        BackendRequirementAttribute.SkipReasonFor(testMethod) is { } reason
            ? [new SkippedTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason)]
            : base.Discover(discoveryOptions, testMethod, factAttribute);
}

/// <summary>Discovers <see cref="LedgerTheoryAttribute"/> tests: one skipped case for the whole theory when the backend is missing.</summary>
public sealed class LedgerTheoryDiscoverer(IMessageSink diagnosticMessageSink) : TheoryDiscoverer(diagnosticMessageSink)
{
    /// <inheritdoc />
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo theoryAttribute) =>
        BackendRequirementAttribute.SkipReasonFor(testMethod) is { } reason
            ? [new SkippedTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason)]
            : base.Discover(discoveryOptions, testMethod, theoryAttribute);
}

/// <summary>A test case reported as skipped with a reason decided at discovery.</summary>
public sealed class SkippedTestCase : XunitTestCase
{
    private string _reason = "";

    /// <summary>For deserialization only.</summary>
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public SkippedTestCase()
    {
    }

    /// <summary>A skipped case of <paramref name="testMethod"/>.</summary>
    public SkippedTestCase(IMessageSink diagnosticMessageSink, TestMethodDisplay display, TestMethodDisplayOptions displayOptions, ITestMethod testMethod, string reason)
        : base(diagnosticMessageSink, display, displayOptions, testMethod)
    {
        _reason = reason;
    }

    /// <inheritdoc />
    protected override string GetSkipReason(IAttributeInfo factAttribute) => _reason;

    /// <inheritdoc />
    public override void Serialize(IXunitSerializationInfo data)
    {
        base.Serialize(data);
        data.AddValue("BackendSkipReason", _reason);
    }

    /// <inheritdoc />
    public override void Deserialize(IXunitSerializationInfo data)
    {
        _reason = data.GetValue<string>("BackendSkipReason");
        base.Deserialize(data);
    }
}
