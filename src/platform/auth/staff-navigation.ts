// The staff navigation: each capability adds its pages with the permission that shows them.
import { can, type Action, type Principal } from '../policy/policy.ts';

export interface NavigationItem {
  href: string;
  text: string;
  action: Action;
}

export function createStaffNavigation() {
  const items: NavigationItem[] = [{ href: '/staff', text: 'Home', action: 'staff.home' }];
  return {
    add(item: NavigationItem): void {
      items.push(item);
    },
    for(principal: Principal, currentPath: string): Array<{ href: string; text: string; active: boolean }> {
      return items
        .filter((item) => can(principal, item.action))
        .map((item) => ({
          href: item.href,
          text: item.text,
          active: item.href === '/staff' ? currentPath === '/staff' : currentPath.startsWith(item.href),
        }));
    },
  };
}

export type StaffNavigation = ReturnType<typeof createStaffNavigation>;
