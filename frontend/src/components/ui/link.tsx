import MuiLink, { type LinkProps as MuiLinkProps } from '@mui/material/Link';
import { forwardRef } from 'react';
import { Link as RouterLink, type LinkProps as RouterLinkProps } from 'react-router';

/** MUI styling, react-router navigation. */
export const Link = forwardRef<HTMLAnchorElement, Omit<MuiLinkProps, 'href'> & { to: RouterLinkProps['to'] }>(
  function Link(props, ref) {
    return <MuiLink component={RouterLink} ref={ref} {...props} />;
  },
);
