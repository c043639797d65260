import { LabIcon } from '@jupyterlab/ui-components';

import hygieneSvg from '../../style/icons/hygiene.svg';

/** Three cells feeding each other: the panel's tab, the toolbar and the status bar. */
export const hygieneIcon = new LabIcon({
  name: 'jupyter-ext:hygiene',
  svgstr: hygieneSvg
});
