; Hearth's NSIS hooks. The uninstaller keeps the user's chats and models (they live in
; %APPDATA%\hearth\Hearth, not in the install folder) unless the user ticks "Delete the
; application data" on the uninstall page, which Tauri's template shows.

!macro NSIS_HOOK_POSTUNINSTALL
  ${If} $DeleteAppDataCheckboxState = 1
  ${AndIf} $UpdateMode <> 1
    SetShellVarContext current
    RMDir /r "$APPDATA\hearth\Hearth"
    RMDir "$APPDATA\hearth"
  ${EndIf}
!macroend
