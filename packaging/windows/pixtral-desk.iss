; Inno Setup 6 script: Windows installer for the PyInstaller bundle.
;
;   python packaging\build.py
;   "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 packaging\windows\pixtral-desk.iss
;
; Output: dist\Pixtral-Desk-<version>-windows-x64-setup.exe. Per-user install by default (no admin
; prompt; "Install for all users" is offered), Start-menu shortcut, optional desktop shortcut,
; uninstaller in Settings > Apps. The uninstaller removes the program folder only: history,
; settings and logs (%LOCALAPPDATA%\pixtral-desk) and downloaded models (the Hugging Face cache,
; %USERPROFILE%\.cache\huggingface\hub) are kept (see packaging\README.md).
; Signing: pass /DSignTool=... after configuring a sign tool named "pixtral" in the IDE or
; with ISCC /S"pixtral=signtool sign /fd sha256 /tr http://timestamp.digicert.com /td sha256 $f".

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef Variant
  #define Variant ""
#endif
#define AppName "Pixtral Desk"
#define AppExe "pixtral-desk.exe"

[Setup]
; A fixed AppId ties upgrades and the uninstaller together; never change it.
AppId={{6A0C3E52-8B7D-4B0E-9C55-2F1D7E4A9B31}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Pixtral Desk
AppPublisherURL=https://github.com/pixtral-desk
DefaultDirName={autopf}\Pixtral Desk
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0.17763
OutputDir=..\..\dist
OutputBaseFilename=Pixtral-Desk-{#AppVersion}-windows-x64{#Variant}-setup
SetupIconFile=pixtral-desk.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes
#ifdef SignTool
SignTool={#SignTool}
SignedUninstaller=yes
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole one-folder bundle (pixtral-desk.exe, pixtral-desk-cli.exe, _internal\...).
Source: "..\..\dist\pixtral-desk\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Comment: "Chat with Pixtral, locally or on La Plateforme"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only files the program may leave in its own folder (e.g. __pycache__); never user data.
Type: filesandordirs; Name: "{app}\_internal\__pycache__"
