<#
.SYNOPSIS
What the scheduled task runs: aperture-verify on the project, a dated log, the exit status.

.DESCRIPTION
Task Scheduler has no per-task environment: this script sets APERTURE_API_KEY_FILE to
the key file's path (the key itself is read by aperture-verify, once), runs the suite,
writes its output to logs\<plan>-<yyyy-MM-dd_HHmm>.log in the project and exits with
the suite's exit status, which Task Scheduler shows as "Last Run Result".
#>
param(
    [Parameter(Mandatory = $true)] [string] $ProjectDir,
    [Parameter(Mandatory = $true)] [string] $ApiKeyFile,
    [string] $Plan = 'nightly',
    [string] $Workers = 'auto'
)
Set-StrictMode -Version Latest
$env:APERTURE_API_KEY_FILE = $ApiKeyFile
$env:PYTHONUTF8 = '1'  # labels beyond ASCII in the log, whatever the console code page
$logs = Join-Path $ProjectDir 'logs'
New-Item -ItemType Directory -Force -Path $logs | Out-Null
$log = Join-Path $logs ("{0}-{1}.log" -f $Plan, (Get-Date -Format 'yyyy-MM-dd_HHmm'))
$command = Join-Path $ProjectDir '.venv\Scripts\aperture-verify.exe'
& $command --project $ProjectDir -n $Workers --plan $Plan *>&1 | Out-File -FilePath $log -Encoding utf8
$status = $LASTEXITCODE
Add-Content -Path $log -Value ("exit status {0} (0x{0:X})" -f $status)
exit $status
