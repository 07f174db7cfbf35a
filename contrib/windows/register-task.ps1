<#
.SYNOPSIS
Registers the nightly aperture-verify run with Windows Task Scheduler.

.DESCRIPTION
One task, started daily at -At, running run-aperture.ps1 (beside this script) in the
project folder as -User:
  - working folder: the project ("Start in" is set; aperture-verify --project is given too);
  - credentials: the API key stays in -ApiKeyFile, whose ACL this script restricts to
    -User alone (read); the task gets only the file's path (APERTURE_API_KEY_FILE),
    never the key;
  - an execution time limit (-TimeLimitHours; Task Scheduler then stops the process;
    the next run removes what a stopped run left and takes over its lock);
  - one instance at a time (MultipleInstances IgnoreNew; the suite's own run lock
    refuses a second run with exit status 15 anyway).
"Last Run Result" shows the suite's exit status in hex: see docs/scheduling.md.

.EXAMPLE
.\register-task.ps1 -ProjectDir C:\aperture\nightly -ApiKeyFile C:\aperture\secrets\api-key.txt -User 'CONTOSO\svc-aperture' -At 01:30 -Plan nightly
#>
[CmdletBinding(SupportsShouldProcess = $true)]
param(
    [Parameter(Mandatory = $true)] [string] $ProjectDir,
    [Parameter(Mandatory = $true)] [string] $ApiKeyFile,
    [Parameter(Mandatory = $true)] [string] $User,
    [string] $TaskName = 'aperture-verify nightly',
    [string] $At = '01:30',
    [string] $Plan = 'nightly',
    [string] $Workers = 'auto',
    [int] $TimeLimitHours = 6
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$project = (Resolve-Path -LiteralPath $ProjectDir).Path
if (-not (Test-Path -LiteralPath (Join-Path $project 'plans.toml'))) {
    throw "$project has no plans.toml: give the project folder as -ProjectDir"
}
$command = Join-Path $project '.venv\Scripts\aperture-verify.exe'
if (-not (Test-Path -LiteralPath $command)) {
    throw "$command not found: install the suite in the project (py -m venv .venv; .venv\Scripts\pip install aperture-verify)"
}
$keyFile = (Resolve-Path -LiteralPath $ApiKeyFile).Path
$runner = Join-Path $PSScriptRoot 'run-aperture.ps1'

# The key file: readable by the task's account only. /inheritance:r drops inherited
# entries (Users, Administrators...), /grant:r replaces any explicit ones.
if ($PSCmdlet.ShouldProcess($keyFile, "restrict to $User (read)")) {
    & icacls.exe $keyFile /inheritance:r /grant:r "${User}:(R)" | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "icacls could not restrict $keyFile (exit $LASTEXITCODE)" }
}

$arguments = @(
    '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass',
    '-File', "`"$runner`"",
    '-ProjectDir', "`"$project`"",
    '-ApiKeyFile', "`"$keyFile`"",
    '-Plan', $Plan,
    '-Workers', $Workers
) -join ' '
$action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument $arguments -WorkingDirectory $project
$trigger = New-ScheduledTaskTrigger -Daily -At $At
$settings = New-ScheduledTaskSettingsSet `
    -ExecutionTimeLimit (New-TimeSpan -Hours $TimeLimitHours) `
    -MultipleInstances IgnoreNew `
    -StartWhenAvailable `
    -DontStopIfGoingOnBatteries -AllowStartIfOnBatteries
# S4U: runs whether the user is logged on or not, without storing a password
# (enough for HTTP to Data Studio; no Windows network shares needed).
$principal = New-ScheduledTaskPrincipal -UserId $User -LogonType S4U -RunLevel Limited

if ($PSCmdlet.ShouldProcess($TaskName, 'Register-ScheduledTask')) {
    Register-ScheduledTask -TaskName $TaskName -Action $action -Trigger $trigger `
        -Settings $settings -Principal $principal -Force | Out-Null
    Write-Host "Registered '$TaskName': daily at $At, plan $Plan, in $project, as $User."
    Write-Host "Try it now: Start-ScheduledTask -TaskName '$TaskName'"
}
