"""Who may do what: Jira's permission keys and the twin's one permission scheme.

The twin grants as a fresh Jira's "Default Permission Scheme" does: global administration to the
administrators' groups, project administration to the project's Administrators role, and every
other project permission to anyone with application access (the ``jira-software-users`` group).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sync_engine.sandbox.jira.catalog import ProjectDef
from sync_engine.sandbox.jira.directory import USERS_GROUP, Directory


@dataclass(frozen=True)
class Permission:
    id: str
    key: str
    name: str
    type: str  # GLOBAL or PROJECT
    description: str


_P = Permission
PERMISSIONS: tuple[Permission, ...] = (
    _P("0", "ADMINISTER", "Administer Jira", "GLOBAL", "Create and administer projects, issue types, fields, "
       "workflows and schemes for all projects. Users with this permission can perform most administration "
       "tasks, except: managing users, importing data, and editing system email settings."),
    _P("44", "SYSTEM_ADMIN", "Jira System Administrators", "GLOBAL", "Ability to perform all administration "
       "functions. There must be at least one group with this permission."),
    _P("1", "USE", "Browse users and groups", "GLOBAL", "Ability to log in to Jira."),
    _P("27", "USER_PICKER", "Browse users and groups", "GLOBAL", "View and select users or groups from the "
       "user picker, and share issues."),
    _P("22", "CREATE_SHARED_OBJECTS", "Share dashboards and filters", "GLOBAL", "Share dashboards and filters "
       "with other users."),
    _P("24", "MANAGE_GROUP_FILTER_SUBSCRIPTIONS", "Manage group filter subscriptions", "GLOBAL",
       "Create and delete group filter subscriptions."),
    _P("33", "BULK_CHANGE", "Make bulk changes", "GLOBAL", "Modify collections of issues at once."),
    _P("23", "ADMINISTER_PROJECTS", "Administer Projects", "PROJECT", "Ability to administer a project in Jira."),
    _P("10", "BROWSE_PROJECTS", "Browse Projects", "PROJECT", "Ability to browse projects and the issues within "
       "them."),
    _P("29", "VIEW_DEV_TOOLS", "View Development Tools", "PROJECT", "Allows users in a software project to view "
       "development-related information on the issue."),
    _P("45", "VIEW_READONLY_WORKFLOW", "View Read-Only Workflow", "PROJECT", "Users with this permission may "
       "view a read-only version of a workflow."),
    _P("11", "CREATE_ISSUES", "Create Issues", "PROJECT", "Ability to create issues."),
    _P("12", "EDIT_ISSUES", "Edit Issues", "PROJECT", "Ability to edit issues."),
    _P("46", "TRANSITION_ISSUES", "Transition Issues", "PROJECT", "Ability to transition issues."),
    _P("28", "SCHEDULE_ISSUES", "Schedule Issues", "PROJECT", "Ability to set and edit due dates."),
    _P("25", "MOVE_ISSUES", "Move Issues", "PROJECT", "Ability to move issues between projects or between "
       "workflows of the same project (if applicable)."),
    _P("13", "ASSIGN_ISSUES", "Assign Issues", "PROJECT", "Ability to assign issues to other people."),
    _P("17", "ASSIGNABLE_USER", "Assignable User", "PROJECT", "Users with this permission may be assigned to "
       "issues."),
    _P("14", "RESOLVE_ISSUES", "Resolve Issues", "PROJECT", "Ability to resolve and reopen issues."),
    _P("18", "CLOSE_ISSUES", "Close Issues", "PROJECT", "Ability to close issues."),
    _P("30", "MODIFY_REPORTER", "Modify Reporter", "PROJECT", "Ability to modify the reporter when creating or "
       "editing an issue."),
    _P("16", "DELETE_ISSUES", "Delete Issues", "PROJECT", "Ability to delete issues."),
    _P("21", "LINK_ISSUES", "Link Issues", "PROJECT", "Ability to link issues together."),
    _P("26", "SET_ISSUE_SECURITY", "Set Issue Security", "PROJECT", "Ability to set the level of security on an "
       "issue so that only people in that security level can see the issue."),
    _P("31", "VIEW_VOTERS_AND_WATCHERS", "View Voters and Watchers", "PROJECT", "Ability to view the voters and "
       "watchers of an issue."),
    _P("32", "MANAGE_WATCHERS", "Manage Watchers", "PROJECT", "Ability to manage the watchers of an issue."),
    _P("15", "ADD_COMMENTS", "Add Comments", "PROJECT", "Ability to comment on issues."),
    _P("34", "EDIT_ALL_COMMENTS", "Edit All Comments", "PROJECT", "Ability to edit all comments made on issues."),
    _P("35", "EDIT_OWN_COMMENTS", "Edit Own Comments", "PROJECT", "Ability to edit own comments made on issues."),
    _P("36", "DELETE_ALL_COMMENTS", "Delete All Comments", "PROJECT", "Ability to delete all comments made on "
       "issues."),
    _P("37", "DELETE_OWN_COMMENTS", "Delete Own Comments", "PROJECT", "Ability to delete own comments made on "
       "issues."),
    _P("19", "CREATE_ATTACHMENTS", "Create Attachments", "PROJECT", "Users with this permission may create "
       "attachments."),
    _P("38", "DELETE_ALL_ATTACHMENTS", "Delete All Attachments", "PROJECT", "Users with this permission may "
       "delete all attachments."),
    _P("39", "DELETE_OWN_ATTACHMENTS", "Delete Own Attachments", "PROJECT", "Users with this permission may "
       "delete own attachments."),
    _P("20", "WORK_ON_ISSUES", "Work On Issues", "PROJECT", "Ability to log work done against an issue. Only "
       "useful if Time Tracking is turned on."),
    _P("40", "EDIT_OWN_WORKLOGS", "Edit Own Worklogs", "PROJECT", "Ability to edit own worklogs made on issues."),
    _P("41", "EDIT_ALL_WORKLOGS", "Edit All Worklogs", "PROJECT", "Ability to edit all worklogs made on issues."),
    _P("42", "DELETE_OWN_WORKLOGS", "Delete Own Worklogs", "PROJECT", "Ability to delete own worklogs made on "
       "issues."),
    _P("43", "DELETE_ALL_WORKLOGS", "Delete All Worklogs", "PROJECT", "Ability to delete all worklogs made on "
       "issues."),
    _P("47", "VIEW_AGGREGATED_DATA", "View aggregated data", "PROJECT", "Users with this permission may view "
       "aggregated data of a project."),
    _P("48", "MANAGE_SPRINTS_PERMISSION", "Manage Sprints", "PROJECT", "Ability to manage sprints."),
    _P("49", "EDIT_SPRINT_NAME_AND_GOAL_PERMISSION", "Edit Sprints", "PROJECT", "Ability to edit sprint name "
       "and goal."),
    _P("50", "START_STOP_SPRINTS_PERMISSION", "Start/Complete Sprints", "PROJECT", "Ability to start and "
       "complete sprints."),
    _P("51", "VIEW_ISSUE_DEV_INFO", "View Development Tools", "PROJECT", "Ability to view development "
       "information on issues."),
)
BY_KEY = {p.key: p for p in PERMISSIONS}
ADMIN_ONLY = frozenset({"ADMINISTER", "SYSTEM_ADMIN"})


class Permissions:
    def __init__(self, directory: Directory, in_role: Callable[[ProjectDef, str, str], bool]) -> None:
        self.dir = directory
        self.in_role = in_role

    def has(self, login: str, key: str, project: ProjectDef | None = None) -> bool:
        user = self.dir.cat.users.get(login)
        if user is None or not user.active:
            return False
        if self.dir.is_admin(login):
            return True
        if key in ADMIN_ONLY:
            return False
        if key == "ADMINISTER_PROJECTS":
            if project is None:
                return any(self._role(p, login) for p in self.dir.cat.projects.values())
            return self._role(project, login)
        return login in self.dir.groups.get(USERS_GROUP, set())

    def _role(self, project: ProjectDef, login: str) -> bool:
        return self.in_role(project, "Administrators", login)
